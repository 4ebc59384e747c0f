using DslUnlearn.Data;

namespace DslUnlearn.Metrics;

/// <summary>
/// Extraction strength (Carlini et al.; the primary metric of Wang et al., ICLR 2025) and exact
/// memorization, both from one teacher-forced pass.
/// ES = 1 - k*/|y|, where k* is the fewest answer tokens that must be given after the question for
/// greedy decoding to reproduce the rest exactly. With teacher forcing, greedy decoding from prefix k
/// reproduces the rest iff every argmax prediction at answer positions k..|y|-1 matches, so k* is one
/// past the last mismatching position (0 when nothing mismatches): exact, no generation needed.
/// OpenUnlearning's extraction_strength tries k = 0..|y|-1 only, so a k* of |y| (the last token wrong) counts
/// as |y|-1: its ES never drops below 1/|y|. That floor is the default here, to agree with OpenUnlearning;
/// <c>zeroFloor</c> gives the paper's 1 - k*/|y| over k in 0..|y| (0 when the last token is wrong).
/// EM = fraction of answer positions whose argmax matches (TOFU/UWC definition).
/// </summary>
public static class ExtractionStrength
{
    /// <summary>ES of one answer from the greedy predictions at its positions.</summary>
    public static double FromPredictions(ReadOnlySpan<long> predicted, ReadOnlySpan<long> answer, bool zeroFloor = false)
    {
        CheckLengths(predicted, answer);
        int kStar = 0;
        for (int i = answer.Length - 1; i >= 0; i--)
            if (predicted[i] != answer[i]) { kStar = i + 1; break; }
        if (!zeroFloor) kStar = Math.Min(kStar, answer.Length - 1);
        return 1.0 - (double)kStar / answer.Length;
    }

    /// <summary>EM of one answer: share of positions where the greedy prediction is the answer token.</summary>
    public static double ExactMemorization(ReadOnlySpan<long> predicted, ReadOnlySpan<long> answer)
    {
        CheckLengths(predicted, answer);
        int hits = 0;
        for (int i = 0; i < answer.Length; i++) if (predicted[i] == answer[i]) hits++;
        return (double)hits / answer.Length;
    }

    /// <summary>
    /// Per-row ES and EM from logits [batch, seq, vocab] and shifted labels [batch, seq] (-100 outside
    /// the answer); the first <paramref name="answerLengths"/>[r] labelled positions of row r are its answer.
    /// </summary>
    public static (double[] Es, double[] Em) FromLogits(Tensor logits, Tensor labels, IReadOnlyList<int> answerLengths)
    {
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
            throw new ArgumentException($"logits must be [batch, seq, vocab] and labels [batch, seq] with the same batch and seq; got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", labels.shape)}].");
        if (answerLengths.Count != labels.shape[0])
            throw new ArgumentException($"{answerLengths.Count} answer lengths for a batch of {labels.shape[0]}.");
        long[] pred, lab;
        using (torch.NewDisposeScope())
        {
            pred = logits.argmax(-1).cpu().data<long>().ToArray();
            lab = labels.cpu().data<long>().ToArray();
        }
        int rows = (int)labels.shape[0], width = (int)labels.shape[1];
        var es = new double[rows];
        var em = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            var p = new List<long>();
            var y = new List<long>();
            for (int t = 0; t < width && y.Count < answerLengths[r]; t++)
            {
                long label = lab[r * width + t];
                if (label == TokenBatch.IgnoreIndex) continue;
                p.Add(pred[r * width + t]);
                y.Add(label);
            }
            if (y.Count != answerLengths[r])
                throw new ArgumentException($"row {r}: expected {answerLengths[r]} answer labels, found {y.Count}.");
            es[r] = FromPredictions(p.ToArray(), y.ToArray());
            em[r] = ExactMemorization(p.ToArray(), y.ToArray());
        }
        return (es, em);
    }

    private static void CheckLengths(ReadOnlySpan<long> predicted, ReadOnlySpan<long> answer)
    {
        if (answer.Length == 0) throw new ArgumentException("The answer is empty: ES and EM are undefined.");
        if (predicted.Length != answer.Length)
            throw new ArgumentException($"{predicted.Length} predictions for an answer of {answer.Length} tokens.");
    }
}
