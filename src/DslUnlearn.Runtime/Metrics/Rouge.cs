using DslUnlearn.Components;

namespace DslUnlearn.Metrics;

/// <summary>
/// ROUGE-L (longest common subsequence of words) as Google's rouge_score computes it with
/// <c>use_stemmer=True</c> (TOFU's and OpenUnlearning's setting): lowercase, every run of characters outside
/// [a-z0-9] becomes one space, split, and words longer than 3 characters are stemmed by NLTK's Porter stemmer
/// (<see cref="PorterStemmer"/>). Python's and .NET's lowercasing agree on the texts checked
/// (tests/fixtures/rouge); they can differ on a few exotic Unicode letters.
/// </summary>
public static class Rouge
{
    public readonly record struct Score(double Precision, double Recall, double F1);

    /// <summary>rouge_score's tokenizer; <paramref name="stem"/> = false leaves words as they are.</summary>
    public static string[] Tokenize(string text, bool stem = true)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        foreach (char ch in text.ToLowerInvariant())
            sb.Append(ch is >= 'a' and <= 'z' or >= '0' and <= '9' ? ch : ' ');
        var tokens = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (stem)
            for (int i = 0; i < tokens.Length; i++)
                if (tokens[i].Length > 3) tokens[i] = PorterStemmer.Stem(tokens[i]);
        return tokens;
    }

    /// <summary>Length of the longest common subsequence of two token sequences.</summary>
    public static int Lcs(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }

    /// <summary>ROUGE-L of <paramref name="prediction"/> against <paramref name="reference"/> (rouge_score's
    /// <c>score(target=reference, prediction)</c>): recall = LCS / |reference|, precision = LCS / |prediction|.
    /// Empty texts score 0.</summary>
    public static Score RougeL(string reference, string prediction, bool stem = true)
    {
        var r = Tokenize(reference, stem);
        var p = Tokenize(prediction, stem);
        if (r.Length == 0 || p.Length == 0) return new Score(0, 0, 0);
        int lcs = Lcs(r, p);
        double precision = (double)lcs / p.Length, recall = (double)lcs / r.Length;
        double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        return new Score(precision, recall, f1);
    }

    /// <summary>One part of ROUGE-L per input: the greedy answer (at most <c>MaxNewTokens</c>) against the reference
    /// answer. The ROUGE-L metrics differ only in the part they keep.</summary>
    internal static MetricResult OfGreedyAnswers(MetricContext c, GenerationOptions options, Func<Score, double> part)
    {
        var inputs = c.Inputs;
        var gen = Generations.Answers(c, inputs, options.MaxNewTokens);
        return MetricResult.FromValues(inputs.Select((e, i) => part(RougeL(e.Answer, gen[i]))).ToArray());
    }
}

public record GenerationOptions
{
    /// <summary>Most tokens generated per answer (generation also stops at EOS). 0 (the default) = the longest
    /// reference answer of the split in tokens plus 16, so a correct answer is never cut, whatever the tokenizer.</summary>
    [Option(Min = 0, Max = 4096)]
    public int MaxNewTokens { get; init; }
}

/// <summary>ROUGE-L recall of the greedy answer against the reference answer (TOFU's "ROUGE").</summary>
[Metric("rouge_l_recall", Version = 2)] // 2: greedy answers from ES's prompt (Generations.PromptIds)
public sealed class RougeLRecallMetric(GenerationOptions options) : IMetric
{
    public GenerationOptions Options => options;
    public MetricResult Compute(MetricContext c) => Rouge.OfGreedyAnswers(c, options, s => s.Recall);
}

/// <summary>ROUGE-L F1 of the greedy answer against the reference answer.</summary>
[Metric("rouge_l_f1", Version = 2)] // 2: greedy answers from ES's prompt (Generations.PromptIds)
public sealed class RougeLF1Metric(GenerationOptions options) : IMetric
{
    public GenerationOptions Options => options;
    public MetricResult Compute(MetricContext c) => Rouge.OfGreedyAnswers(c, options, s => s.F1);
}
