using DslUnlearn.Components;

namespace DslUnlearn.Metrics;

/// <summary>
/// ROUGE-L (longest common subsequence of words) with the tokenization of Google's rouge_score package:
/// lowercase, every run of characters outside [a-z0-9] becomes one space, split on spaces. Not done: the
/// Porter stemming that OpenUnlearning turns on (use_stemmer=True), so "writes" and "write" differ here;
/// scores can be lower than OpenUnlearning's on inflected words, never higher.
/// </summary>
public static class Rouge
{
    public readonly record struct Score(double Precision, double Recall, double F1);

    /// <summary>rouge_score's tokenizer without stemming.</summary>
    public static string[] Tokenize(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        foreach (char ch in text.ToLowerInvariant())
            sb.Append(ch is >= 'a' and <= 'z' or >= '0' and <= '9' ? ch : ' ');
        return sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
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
    public static Score RougeL(string reference, string prediction)
    {
        var r = Tokenize(reference);
        var p = Tokenize(prediction);
        if (r.Length == 0 || p.Length == 0) return new Score(0, 0, 0);
        int lcs = Lcs(r, p);
        double precision = (double)lcs / p.Length, recall = (double)lcs / r.Length;
        double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        return new Score(precision, recall, f1);
    }
}

public record GenerationOptions
{
    /// <summary>Most tokens generated per answer (generation also stops at EOS).</summary>
    [Option(Min = 1, Max = 4096)]
    public int MaxNewTokens { get; init; } = 128;
}

/// <summary>Greedy answers to the (possibly attacked) questions, text after the answer tag, cut at EOS and trimmed.</summary>
internal static class Generations
{
    public static string[] Answers(MetricContext c, IReadOnlyList<Data.QaExample> examples, int maxNewTokens, Models.ICausalLM? model = null)
    {
        var tok = c.Encoder.Tokenizer;
        var prompts = examples.Select(e => PromptIds(c.Encoder, e, "", paraphrased: false)).ToArray();
        var outputs = GreedyDecoder.Generate(model ?? c.Model, prompts, maxNewTokens, tok.EosId, tok.PadId, c.Device, c.BatchSize);
        return outputs.Select(o => tok.Decode(o).Trim()).ToArray();
    }

    /// <summary>BOS + question prompt + answer tag + <paramref name="answerPrefix"/> (no EOS).</summary>
    public static int[] PromptIds(Data.QaEncoder encoder, Data.QaExample example, string answerPrefix, bool paraphrased)
    {
        var encoded = encoder.Encode(example with { Answer = answerPrefix }, paraphrased);
        return encoded.Ids[..^1];
    }
}

/// <summary>ROUGE-L recall of the greedy answer against the reference answer (TOFU's "ROUGE").</summary>
[Metric("rouge_l_recall")]
public sealed class RougeLRecallMetric(GenerationOptions options) : IMetric
{
    public GenerationOptions Options => options;
    public MetricResult Compute(MetricContext c)
    {
        var inputs = c.Inputs;
        var gen = Generations.Answers(c, inputs, options.MaxNewTokens);
        return MetricResult.FromValues(inputs.Select((e, i) => Rouge.RougeL(e.Answer, gen[i]).Recall).ToArray());
    }
}

/// <summary>ROUGE-L F1 of the greedy answer against the reference answer.</summary>
[Metric("rouge_l_f1")]
public sealed class RougeLF1Metric(GenerationOptions options) : IMetric
{
    public GenerationOptions Options => options;
    public MetricResult Compute(MetricContext c)
    {
        var inputs = c.Inputs;
        var gen = Generations.Answers(c, inputs, options.MaxNewTokens);
        return MetricResult.FromValues(inputs.Select((e, i) => Rouge.RougeL(e.Answer, gen[i]).F1).ToArray());
    }
}
