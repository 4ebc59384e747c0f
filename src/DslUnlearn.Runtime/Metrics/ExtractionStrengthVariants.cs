using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Text;

namespace DslUnlearn.Metrics;

/// <summary>ES perturb: exact ES from the paraphrased question (one teacher-forced pass).</summary>
[Metric("es_perturb")]
public sealed class EsPerturbMetric(NoOptions options) : IMetric
{
    public NoOptions Options => options;
    public MetricResult Compute(MetricContext c)
        => MetricResult.FromValues(Evaluator.Evaluate(c, c.Encoder.EncodeAll(c.Inputs, paraphrased: true)).EsExact);
}

/// <summary>
/// Extraction strength by search with greedy generation. Two procedures:
/// <list type="bullet">
/// <item><c>token</c> (default): find the fewest answer tokens k* after which greedy generation reproduces the
/// rest of the answer exactly. "Reproduces from k" is monotone in k, so bisection over k in [0, |y|] finds the
/// scan's k*, in about log2|y| batched generations. It applies OpenUnlearning's floor like
/// <see cref="ExtractionStrength"/>, so its value equals <see cref="EsExactMetric"/>'s: it is the slow
/// reference that the one-pass value is checked (and benchmarked) against.</item>
/// <item><c>uwc</c>: the search of the paper's code (tmlr-group/Unlearning-with-Control,
/// evaluation_everything.py, <c>processing</c>), reproduced step by step: text
/// <c>"### Question: {q}\n ### Answer: {a}"</c> whatever the spec's prompt; bounds l = |tok(question)| (the bare
/// question with special tokens, so the search starts inside the prompt) and r = |tok(full text)|; probes
/// mid = (left + right) / 2, decoding the first mid tokens, re-encoding them and generating up to a total length
/// of <c>max_length</c> (200) tokens; the decoded output, re-encoded, matches when its tokens mid..r agree with the
/// full text's on the positions both have (a generation that stops early can still match); match -> right = mid,
/// else left = mid, until mid repeats; ES = 1 - (right - l) / (r - l). Rows are searched independently (UWC's
/// batch of 50 shares a padded length; here each row has its own, as with batch size 1). No floor.</item>
/// </list>
/// </summary>
public static class GenerationEs
{
    /// <summary>ES of each encoded QA pair by token bisection (all rows probe in lockstep, one batched generation per round).</summary>
    public static double[] Bisection(ICausalLM model, IReadOnlyList<EncodedQa> rows, int? eosId, int padId, int batchSize)
    {
        var lo = new int[rows.Count];
        var hi = rows.Select(r => r.AnswerLength).ToArray();   // invariant: reproduces(hi) holds; reproduces(k) fails for k < lo
        if (rows.Any(r => r.AnswerLength < 1)) throw new ArgumentException("An answer is empty: ES is undefined.", nameof(rows));
        while (true)
        {
            var active = Enumerable.Range(0, rows.Count).Where(i => lo[i] < hi[i]).ToArray();
            if (active.Length == 0) break;
            var mid = active.Select(i => (lo[i] + hi[i]) / 2).ToArray();
            var prompts = active.Select((i, a) => rows[i].Ids[..(rows[i].PromptLength + mid[a])]).ToArray();
            int budget = active.Select((i, a) => rows[i].AnswerLength - mid[a]).Max();
            var generated = Generations.Greedy(model, prompts, budget, eosId, padId, batchSize);
            for (int a = 0; a < active.Length; a++)
            {
                var r = rows[active[a]];
                int k = mid[a], rest = r.AnswerLength - k;
                bool ok = generated[a].Length >= rest && generated[a].AsSpan(0, rest).SequenceEqual(r.Ids.AsSpan(r.PromptLength + k, rest));
                if (ok) hi[active[a]] = k; else lo[active[a]] = k + 1;
            }
        }
        return rows.Select((r, i) => 1.0 - (double)Math.Min(lo[i], r.AnswerLength - 1) / r.AnswerLength).ToArray();
    }

    /// <summary>UWC's search (see the class summary) on question/answer texts.</summary>
    public static double[] UwcSearch(ICausalLM model, ITokenizer tok, IReadOnlyList<(string Question, string Answer)> qa, int maxLength, int batchSize)
    {
        int[] Encode(string text) => tok.BosId is { } b ? [b, .. tok.Encode(text)] : tok.Encode(text);
        var full = qa.Select(x => Encode($"### Question: {x.Question}\n ### Answer: {x.Answer}")).ToArray();
        var l = qa.Select(x => Encode(x.Question).Length).ToArray();
        var left = (int[])l.Clone();
        var right = full.Select(f => f.Length).ToArray();
        var old = new int[qa.Count];
        var done = new bool[qa.Count];
        for (int attempt = 0; ; attempt++)
        {
            var active = Enumerable.Range(0, qa.Count).Where(i => !done[i] && attempt < full[i].Length - l[i]).ToArray();
            var probing = new List<(int Row, int Mid)>();
            foreach (int i in active)
            {
                int mid = (left[i] + right[i]) / 2;
                if (attempt != 0 && mid == old[i]) { done[i] = true; continue; }
                probing.Add((i, mid));
            }
            if (probing.Count == 0) break;
            var inputs = probing.Select(p => Encode(tok.Decode(full[p.Row][..p.Mid]))).ToArray();
            var budgets = inputs.Select(x => Math.Max(1, maxLength - x.Length)).ToArray();
            var generated = Generations.Greedy(model, inputs, Enumerable.Repeat(budgets.Max(), inputs.Length).ToArray(), tok.EosId, tok.PadId, batchSize);
            for (int j = 0; j < probing.Count; j++)
            {
                var (i, mid) = probing[j];
                var output = inputs[j].Concat(generated[j].Take(budgets[j]));
                var pred = Encode(tok.Decode(output));
                var predPart = pred.Skip(mid).Take(Math.Max(0, full[i].Length - mid)).ToArray();
                var fullPart = full[i].AsSpan(mid);
                bool match = true;
                for (int t = 0; t < predPart.Length && t < fullPart.Length; t++) match &= predPart[t] == fullPart[t];
                // UWC counts agreeing pairs against the prediction's length: a prediction longer than the text cannot
                // occur (it is cut at r), so "every compared pair agrees" is the rule.
                if (match) right[i] = mid; else left[i] = mid;
                old[i] = mid;
            }
        }
        return qa.Select((_, i) => 1.0 - (double)(right[i] - l[i]) / (full[i].Length - l[i])).ToArray();
    }
}

/// <summary>ES by search with greedy generation: the token bisection (equal to es_exact) or UWC's procedure. See <see cref="GenerationEs"/>.</summary>
[Metric("es_bisection")]
public sealed class EsBisectionMetric : IMetric
{
    public static readonly IReadOnlyList<string> Procedures = ["token", "uwc"];

    public EsBisectionMetric(EsBisectionOptions options)
    {
        OptionChoice.Require("es_bisection", "procedure", options.Procedure, Procedures);
        Options = options;
    }

    public EsBisectionOptions Options { get; }

    public MetricResult Compute(MetricContext c)
    {
        var tok = c.Encoder.Tokenizer;
        if (Options.Procedure == "uwc")
            return MetricResult.FromValues(GenerationEs.UwcSearch(c.Model, tok,
                c.Inputs.Select(e => (Options.ParaphrasedQuestion ? e.ParaphrasedQuestion : e.Question, e.Answer)).ToArray(), Options.MaxLength, c.BatchSize));
        var rows = c.Encoder.EncodeAll(c.Inputs, Options.ParaphrasedQuestion);
        return MetricResult.FromValues(GenerationEs.Bisection(c.Model, rows, tok.EosId, tok.PadId, c.BatchSize));
    }
}

public record EsBisectionOptions
{
    /// <summary>Ask the paraphrased question instead of the original one.</summary>
    public bool ParaphrasedQuestion { get; init; }
    /// <summary>token (bisection over answer tokens; equals es_exact) or uwc (the paper code's search, its prompt and offsets).</summary>
    public string Procedure { get; init; } = "token";
    /// <summary>uwc only: total length (input + generated tokens) of each probe's generation, UWC's max_length.</summary>
    [Option(Min = 1, Max = 4096)]
    public int MaxLength { get; init; } = 200;
}

public record EsSimilarOptions
{
    /// <summary>A generation matches when its ROUGE-L recall reaches this value (answer_recall) or exceeds it (uwc).</summary>
    [Option(Min = 0, Max = 1)]
    public double Threshold { get; init; } = 0.5;

    /// <summary>Extra tokens generated beyond the token length of the remaining answer (generation stops at EOS).</summary>
    [Option(Min = 0, Max = 4096)]
    public int ExtraTokens { get; init; } = 16;

    /// <summary>Ask the paraphrased question instead of the original one.</summary>
    public bool ParaphrasedQuestion { get; init; }

    /// <summary>answer_recall: recall of the remaining answer words, match at &gt;= threshold (the paper's description);
    /// uwc: the paper code's scoring, the generation as rouge_score's target (recall relative to the generated
    /// words), match at &gt; threshold.</summary>
    public string Scoring { get; init; } = "answer_recall";
}

/// <summary>
/// ES similar, the official relaxed variant: words instead of tokens, and a match is "similar enough" instead
/// of exact. For m = 0, 1, ..., |w|-1 answer words (split on spaces) given after the answer tag, greedy
/// generation continues the answer; its first line, trimmed, is compared with the remaining words by ROUGE-L
/// (rouge_score tokenization with stemming, see <see cref="Rouge"/>). ES = 1 - m*/|w| for the smallest
/// matching m, and 0 when none matches. <c>scoring</c> picks the comparison: answer_recall (default) takes the
/// recall of the remaining answer words and matches at &gt;= threshold, as the paper describes it; uwc is the
/// paper's code (tmlr-group/Unlearning-with-Control llama_similar.py, <c>compare_per</c>): the generation is
/// rouge_score's target, so the recall is relative to the generated words, and the match is strict &gt;.
/// </summary>
[Metric("es_similar", Version = 2)] // 2: the empty-prefix prompt is ES's (Generations.PromptIds), not the prompt with a lone trailing space token
public sealed class EsSimilarMetric : IMetric
{
    public static readonly IReadOnlyList<string> Scorings = ["answer_recall", "uwc"];

    public EsSimilarMetric(EsSimilarOptions options)
    {
        OptionChoice.Require("es_similar", "scoring", options.Scoring, Scorings);
        Options = options;
    }

    public EsSimilarOptions Options { get; }

    public MetricResult Compute(MetricContext c)
    {
        var tok = c.Encoder.Tokenizer;
        var inputs = c.Inputs;
        // Every word prefix of every example in one batched generation; per example the first match decides, as in the scan.
        var prompts = new List<int[]>();
        var budgets = new List<int>();
        var suffixes = new List<string>();
        var owner = new List<(int Example, int M, int Words)>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var e = inputs[i];
            var words = e.Answer.Split(' ');
            for (int m = 0; m < words.Length; m++)
            {
                prompts.Add(Generations.PromptIds(c.Encoder, e, string.Join(' ', words[..m]), Options.ParaphrasedQuestion));
                suffixes.Add(string.Join(' ', words[m..]));
                owner.Add((i, m, words.Length));
            }
            int longest = Enumerable.Range(0, words.Length).Max(m => tok.Encode(" " + string.Join(' ', words[m..])).Length);
            budgets.AddRange(Enumerable.Repeat(longest + Options.ExtraTokens, words.Length));
        }
        var outputs = Generations.Greedy(c, c.Model, prompts, budgets);
        var values = new double[inputs.Count];
        var decided = new bool[inputs.Count];
        for (int p = 0; p < prompts.Count; p++)
        {
            var (i, m, n) = owner[p];
            if (decided[i]) continue;
            string text = tok.Decode(outputs[p]);
            int newline = text.IndexOf('\n');
            if (newline >= 0) text = text[..newline];
            text = text.Trim();
            bool match = Options.Scoring == "uwc"
                ? Rouge.RougeL(text, suffixes[p]).Recall > Options.Threshold
                : Rouge.RougeL(suffixes[p], text).Recall >= Options.Threshold;
            if (match) { values[i] = 1.0 - (double)m / n; decided[i] = true; }
        }
        return MetricResult.FromValues(values);
    }
}
