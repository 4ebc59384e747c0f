using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using static TorchSharp.torch;

namespace DslUnlearn.Metrics;

/// <summary>ES perturb: exact ES from the paraphrased question (one teacher-forced pass).</summary>
[Metric("es_perturb")]
public sealed class EsPerturbMetric(NoOptions options) : IMetric
{
    public NoOptions Options => options;
    public MetricResult Compute(MetricContext c)
        => MetricResult.FromValues(Evaluator.Evaluate(c.Model, c.Encoder.EncodeAll(c.Inputs, paraphrased: true), c.BatchSize, c.Device, c.Encoder.Tokenizer.PadId).EsExact);
}

/// <summary>
/// Extraction strength by search with greedy generation, as the official code measures it: find the fewest
/// answer tokens k* after which greedy generation reproduces the rest of the answer. "Reproduces from k" is
/// monotone in k (if it holds from k it holds from k+1), so bisection over k in [0, |y|] finds the same k* as
/// a scan, with about log2|y| generations. Token-level, so its value equals <see cref="EsExactMetric"/>'s;
/// kept as the slow reference that the one-pass value is checked (and benchmarked) against.
/// </summary>
public static class GenerationEs
{
    /// <summary>ES of one encoded QA pair by bisection; each probe generates the |y|-k remaining tokens.</summary>
    public static double Bisection(ICausalLM model, EncodedQa row, int? eosId, int padId, Device device)
    {
        int n = row.AnswerLength;
        if (n < 1) throw new ArgumentException("The answer is empty: ES is undefined.", nameof(row));
        int lo = 0, hi = n;                       // invariant: reproduces(hi) holds; reproduces(k) fails for k < lo
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (Reproduces(model, row, mid, eosId, padId, device)) hi = mid; else lo = mid + 1;
        }
        return 1.0 - (double)lo / n;
    }

    /// <summary>Whether greedy generation after the prompt and the first <paramref name="k"/> answer tokens yields exactly the remaining answer tokens.</summary>
    public static bool Reproduces(ICausalLM model, EncodedQa row, int k, int? eosId, int padId, Device device)
    {
        int n = row.AnswerLength;
        if (k >= n) return true;
        var prefix = row.Ids[..(row.PromptLength + k)];
        var generated = GreedyDecoder.Generate(model, [prefix], n - k, eosId, padId, device, batchSize: 1)[0];
        return generated.AsSpan().SequenceEqual(row.Ids.AsSpan(row.PromptLength + k, n - k));
    }
}

/// <summary>ES by bisection with generation (the official search; slow, equal to es_exact). One sample at a time, like the official script.</summary>
[Metric("es_bisection")]
public sealed class EsBisectionMetric(EsBisectionOptions options) : IMetric
{
    public EsBisectionOptions Options => options;
    public MetricResult Compute(MetricContext c)
    {
        var tok = c.Encoder.Tokenizer;
        var rows = c.Encoder.EncodeAll(c.Inputs, options.ParaphrasedQuestion);
        return MetricResult.FromValues(rows.Select(r => GenerationEs.Bisection(c.Model, r, tok.EosId, tok.PadId, c.Device)).ToArray());
    }
}

public record EsBisectionOptions
{
    /// <summary>Ask the paraphrased question instead of the original one.</summary>
    public bool ParaphrasedQuestion { get; init; }
}

public record EsSimilarOptions
{
    /// <summary>A generation matches when the ROUGE-L recall of the remaining answer words reaches this value.</summary>
    [Option(Min = 0, Max = 1)]
    public double Threshold { get; init; } = 0.5;

    /// <summary>Extra tokens generated beyond the token length of the remaining answer (generation stops at EOS).</summary>
    [Option(Min = 0, Max = 4096)]
    public int ExtraTokens { get; init; } = 16;

    /// <summary>Ask the paraphrased question instead of the original one.</summary>
    public bool ParaphrasedQuestion { get; init; }
}

/// <summary>
/// ES similar, the official relaxed variant: words instead of tokens, and a match is "similar enough" instead
/// of exact. For m = 0, 1, ..., |w|-1 answer words (split on spaces) given after the answer tag, greedy
/// generation continues the answer; its first line, trimmed, matches when its ROUGE-L recall of the remaining
/// words (rouge_score tokenization, see <see cref="Rouge"/>) is at least <c>threshold</c>. ES = 1 - m*/|w| for
/// the smallest matching m, and 0 when none matches. Differences from the official script, on purpose: it
/// uses a strict "&gt;" and passes the generation as rouge_score's target, so its "recall" is relative to the
/// generated words; here recall is relative to the remaining answer words, as the paper describes it.
/// </summary>
[Metric("es_similar")]
public sealed class EsSimilarMetric(EsSimilarOptions options) : IMetric
{
    public EsSimilarOptions Options => options;

    public MetricResult Compute(MetricContext c)
    {
        var values = c.Inputs.Select(e => Score(c, e)).ToArray();
        return MetricResult.FromValues(values);
    }

    private double Score(MetricContext c, QaExample e)
    {
        var tok = c.Encoder.Tokenizer;
        var words = e.Answer.Split(' ');
        int n = words.Length;
        // All prefixes of one example in one batched generation; the first match decides, as in the scan.
        var prompts = new int[n][];
        var suffixes = new string[n];
        int longest = 0;
        for (int m = 0; m < n; m++)
        {
            prompts[m] = Generations.PromptIds(c.Encoder, e, string.Join(' ', words[..m]), options.ParaphrasedQuestion);
            suffixes[m] = string.Join(' ', words[m..]);
            longest = Math.Max(longest, tok.Encode(" " + suffixes[m]).Length);
        }
        var outputs = GreedyDecoder.Generate(c.Model, prompts, longest + options.ExtraTokens, tok.EosId, tok.PadId, c.Device, c.BatchSize);
        for (int m = 0; m < n; m++)
        {
            string text = tok.Decode(outputs[m]);
            int newline = text.IndexOf('\n');
            if (newline >= 0) text = text[..newline];
            if (Rouge.RougeL(suffixes[m], text.Trim()).Recall >= options.Threshold) return 1.0 - (double)m / n;
        }
        return 0.0;
    }
}
