using DslUnlearn.Data;
using DslUnlearn.Generation;
using DslUnlearn.Models;

namespace DslUnlearn.Metrics;

/// <summary>
/// Greedy generation for every generating metric (ROUGE, es_similar, es_bisection, model_utility's ROUGE):
/// the batched KV-cache <see cref="GreedyGenerator"/>. A row stops at EOS (not returned), after its budget, or
/// when the model's context is full; rows whose budgets differ are generated in separate batches, so each row
/// gets exactly the tokens it would get alone (the uncached reference decoder in the tests agrees token for token).
/// </summary>
public static class Generations
{
    /// <summary>Extra tokens over the longest reference answer in the automatic ROUGE budget.</summary>
    public const int AutoBudgetSlack = 16;

    /// <summary>Greedy continuations of <paramref name="prompts"/>, each up to <paramref name="maxNewTokens"/>[i] tokens.</summary>
    public static int[][] Greedy(ICausalLM model, IReadOnlyList<int[]> prompts, IReadOnlyList<int> maxNewTokens, int? eosId, int padId, int batchSize)
    {
        if (maxNewTokens.Count != prompts.Count) throw new ArgumentException($"{maxNewTokens.Count} budgets for {prompts.Count} prompts.", nameof(maxNewTokens));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1.");
        var outputs = new int[prompts.Count][];
        // The context bounds every row's budget; the generator refuses a budget past the context.
        var budget = prompts.Select((p, i) =>
        {
            if (p.Length == 0) throw new ArgumentException($"prompt {i} is empty: greedy decoding needs at least one token to condition on.", nameof(prompts));
            if (maxNewTokens[i] < 0) throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens[i], "max new tokens must be >= 0.");
            return Math.Max(0, Math.Min(maxNewTokens[i], model.MaxPositions - p.Length));
        }).ToArray();
        foreach (var group in Enumerable.Range(0, prompts.Count).GroupBy(i => budget[i]))
        {
            var rows = group.ToArray();
            if (group.Key == 0)
            {
                foreach (int r in rows) outputs[r] = [];
                continue;
            }
            var generated = GreedyGenerator.Generate(model, rows.Select(r => prompts[r]).ToArray(),
                new Generation.GenerationOptions(group.Key, eosId, padId, UseCache: true, BatchSize: batchSize));
            for (int j = 0; j < rows.Length; j++) outputs[rows[j]] = generated[j].Tokens;
        }
        return outputs;
    }

    /// <summary>The same budget for every prompt.</summary>
    public static int[][] Greedy(ICausalLM model, IReadOnlyList<int[]> prompts, int maxNewTokens, int? eosId, int padId, int batchSize)
        => Greedy(model, prompts, Enumerable.Repeat(maxNewTokens, prompts.Count).ToArray(), eosId, padId, batchSize);

    /// <summary>Greedy continuations with the context's tokenizer (EOS, pad) and batch size; within one evaluation pass the
    /// context's <see cref="MetricContext.Cache"/> answers prompts generated before (ROUGE recall and F1, model_utility's ROUGE).</summary>
    public static int[][] Greedy(MetricContext c, ICausalLM model, IReadOnlyList<int[]> prompts, IReadOnlyList<int> maxNewTokens)
    {
        var tok = c.Encoder.Tokenizer;
        return c.Cache is { } cache
            ? cache.Greedy(model, prompts, maxNewTokens, tok.EosId, tok.PadId, c.BatchSize)
            : Greedy(model, prompts, maxNewTokens, tok.EosId, tok.PadId, c.BatchSize);
    }

    /// <summary>The ROUGE budget: <paramref name="maxNewTokens"/> when positive, else the longest reference answer of
    /// <paramref name="examples"/> in tokens plus <see cref="AutoBudgetSlack"/>.</summary>
    public static int Budget(QaEncoder encoder, IReadOnlyList<QaExample> examples, int maxNewTokens)
        => maxNewTokens > 0 ? maxNewTokens : examples.Count == 0 ? 0 : examples.Max(e => encoder.Encode(e).AnswerLength) + AutoBudgetSlack;

    /// <summary>Greedy answers to the (possibly attacked) questions: text after the answer tag, cut at EOS and trimmed.
    /// <paramref name="maxNewTokens"/> 0 = the automatic budget (<see cref="Budget"/>).</summary>
    public static string[] Answers(MetricContext c, IReadOnlyList<QaExample> examples, int maxNewTokens, ICausalLM? model = null)
    {
        var tok = c.Encoder.Tokenizer;
        var prompts = examples.Select(e => PromptIds(c.Encoder, e, "", paraphrased: false)).ToArray();
        var outputs = Greedy(c, model ?? c.Model, prompts, Enumerable.Repeat(Budget(c.Encoder, examples, maxNewTokens), prompts.Length).ToArray());
        return outputs.Select(o => tok.Decode(o).Trim()).ToArray();
    }

    /// <summary>BOS + question prompt + answer tag + <paramref name="answerPrefix"/> (no EOS). With no prefix it is the
    /// prompt that ES, EM and the answer probabilities condition on: the tokens that the prompt and the prompt with the
    /// example's answer share.</summary>
    public static int[] PromptIds(QaEncoder encoder, QaExample example, string answerPrefix, bool paraphrased)
    {
        if (answerPrefix.Length == 0 && example.Answer.Length > 0)
        {
            // A tokenizer that merges a space into the word after it (GPT-2's BPE, SentencePiece) ends the prompt alone
            // ("...\nAnswer: ") with a lone space token that never precedes an answer in training ("Answer", ":", " Jane");
            // a model then answers something else. The char tokenizer's prompt is the same either way.
            var full = encoder.Encode(example, paraphrased);
            return full.Ids[..full.PromptLength];
        }
        var encoded = encoder.Encode(example with { Answer = answerPrefix }, paraphrased);
        return encoded.Ids[..^1];
    }
}
