using DslUnlearn.Data;
using DslUnlearn.Text;

namespace DslUnlearn.Methods;

/// <summary>
/// Builds forget batches whose answers are replaced by IdK answers: the prompt tokens of each forget row are
/// kept, the answer becomes one IdK answer + EOS. The answer of row i at step s is drawn with SplitMix64
/// seeded from (seed, s), so it is the same on every run with the same seed.
/// </summary>
public sealed class IdkBatchBuilder
{
    private readonly ITokenizer _tokenizer;
    private readonly int[][] _answers;
    private readonly ulong _seed;

    public IdkBatchBuilder(ITokenizer tokenizer, IReadOnlyList<string> answers, ulong seed = 0)
    {
        if (answers.Count == 0) throw new ArgumentException("The IdK answer list is empty.", nameof(answers));
        _tokenizer = tokenizer;
        _answers = answers.Select(tokenizer.Encode).ToArray();
        _seed = seed;
    }

    public int Count => _answers.Length;

    /// <summary><paramref name="row"/> with its answer replaced by IdK answer number <paramref name="answer"/>.</summary>
    public EncodedQa Substitute(EncodedQa row, int answer)
    {
        var a = _answers[answer];
        var ids = new int[row.PromptLength + a.Length + 1];
        Array.Copy(row.Ids, ids, row.PromptLength);
        a.CopyTo(ids, row.PromptLength);
        ids[^1] = _tokenizer.EosId;
        return new EncodedQa(ids, row.PromptLength, a.Length);
    }

    /// <summary>Which IdK answer each of the <paramref name="rows"/> rows of step <paramref name="step"/> gets.</summary>
    public int[] Choose(int step, int rows)
    {
        var rng = new SplitMix64(_seed ^ (0x9E3779B97F4A7C15UL * (ulong)(step + 1)));
        return Enumerable.Range(0, rows).Select(_ => rng.Next(_answers.Length)).ToArray();
    }

    /// <summary>The IdK batch for the forget rows of step <paramref name="step"/>.</summary>
    public TokenBatch Build(IReadOnlyList<EncodedQa> rows, int step, Device device)
    {
        var choice = Choose(step, rows.Count);
        return TokenBatch.Collate(rows.Select((r, i) => Substitute(r, choice[i])).ToArray(), device, _tokenizer.PadId);
    }

    /// <summary>The builder for a step: needs the step's tokenizer and forget rows (set by <see cref="UnlearningLoop"/>).</summary>
    internal static TokenBatch ForStep(ref IdkBatchBuilder? cache, UnlearnStep step, string? answersFile, int seed, string method)
    {
        var rows = step.ForgetRows ?? throw new InvalidOperationException($"Method '{method}' needs the forget rows of the step (UnlearnStep.ForgetRows); run it through UnlearningLoop.");
        return ForRows(ref cache, step.Tokenizer, rows, step.StepIndex, step.Forget.InputIds.device, answersFile, seed, method);
    }

    /// <summary>The IdK batch of step <paramref name="stepIndex"/> for these forget rows (what <see cref="ForStep"/> builds).</summary>
    internal static TokenBatch ForRows(ref IdkBatchBuilder? cache, ITokenizer? tokenizer, IReadOnlyList<EncodedQa> rows, int stepIndex, Device device, string? answersFile, int seed, string method)
    {
        if (tokenizer is null) throw new InvalidOperationException($"Method '{method}' replaces forget answers by \"I don't know\" answers and needs the tokenizer: pass tokenizer: to UnlearningLoop.Run.");
        if (cache is null || !ReferenceEquals(cache._tokenizer, tokenizer)) cache = new IdkBatchBuilder(tokenizer, IdkAnswers.Load(answersFile), (ulong)seed);
        return cache.Build(rows, stepIndex, device);
    }
}
