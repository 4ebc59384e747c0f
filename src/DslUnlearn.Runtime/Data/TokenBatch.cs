using DslUnlearn.Text;

namespace DslUnlearn.Data;

/// <summary>
/// A right-padded batch for next-token prediction. Labels are already shifted (position p predicts
/// token p+1) and hold -100 everywhere except on answer tokens and the closing EOS, so losses and
/// metrics see the answer only (TOFU's answer-only masking). Right padding needs no attention mask
/// under a causal mask: real tokens never look at the pads after them.
/// </summary>
public sealed class TokenBatch : IDisposable
{
    public const long IgnoreIndex = -100;
    /// <summary><see cref="IgnoreIndex"/> as a Scalar held for the process (a temporary one can be freed mid-call).</summary>
    public static readonly Scalar IgnoreIndexScalar = IgnoreIndex.ToScalar();

    public Tensor InputIds { get; }
    public Tensor Labels { get; }
    /// <summary>Answer length (EOS excluded) of each row.</summary>
    public int[] AnswerLengths { get; }
    public int Count => AnswerLengths.Length;

    private TokenBatch(Tensor inputIds, Tensor labels, int[] answerLengths)
    {
        InputIds = inputIds;
        Labels = labels;
        AnswerLengths = answerLengths;
    }

    public static TokenBatch Collate(IReadOnlyList<EncodedQa> rows, Device device, int padId = CharTokenizer.Pad)
    {
        if (rows.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(rows));
        int width = rows.Max(r => r.Ids.Length) - 1;
        var inputs = new long[rows.Count * width];
        var labels = new long[rows.Count * width];
        Array.Fill(inputs, (long)padId);
        Array.Fill(labels, IgnoreIndex);
        for (int r = 0; r < rows.Count; r++)
        {
            var ids = rows[r].Ids;
            int start = rows[r].PromptLength - 1; // position whose next token is the first answer token
            for (int p = 0; p < ids.Length - 1; p++)
            {
                inputs[r * width + p] = ids[p];
                if (p >= start) labels[r * width + p] = ids[p + 1];
            }
        }
        return new TokenBatch(
            torch.tensor(inputs, [rows.Count, width], dtype: int64, device: device),
            torch.tensor(labels, [rows.Count, width], dtype: int64, device: device),
            rows.Select(r => r.AnswerLength).ToArray());
    }

    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
    }
}
