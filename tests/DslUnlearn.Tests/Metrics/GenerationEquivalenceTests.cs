namespace DslUnlearn.Tests.Metrics;

/// <summary>The one-pass ES against its definition by greedy generation, on random tiny models.</summary>
public class GenerationEquivalenceTests
{
    private const int Vocab = 7, Eos = 1, Pad = 0;

    private static LlamaForCausalLM RandomModel(int seed)
    {
        torch.manual_seed(seed);
        var m = new LlamaForCausalLM(new LlamaConfig(Vocab, 16, 1, 2, 2, 32, 64));
        m.eval();
        return m;
    }

    /// <summary>
    /// Answers that make ES interesting: the model's own greedy continuation with a few tokens replaced, so
    /// k* lands anywhere in [0, |y|]. Prompts are random tokens in 2..Vocab-1 (never pad or EOS).
    /// </summary>
    private static List<EncodedQa> Samples(ICausalLM model, SplitMix64 rng, int count)
    {
        var rows = new List<EncodedQa>();
        var prompts = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 2 + rng.Next(5)).Select(_ => 2 + rng.Next(Vocab - 2)).ToArray()).ToArray();
        int answerLength = 6;
        var cont = GreedyDecoder.Generate(model, prompts, answerLength, eosId: null, Pad, torch.CPU);
        for (int i = 0; i < count; i++)
        {
            var answer = cont[i].Select(t => t < 2 ? 2 + t : t).ToArray();     // keep pad/EOS out of answers
            int edits = rng.Next(3);
            for (int e = 0; e < edits; e++) answer[rng.Next(answerLength)] = 2 + rng.Next(Vocab - 2);
            rows.Add(new EncodedQa([.. prompts[i], .. answer, Eos], prompts[i].Length, answerLength));
        }
        return rows;
    }

    /// <summary>The definition, literally: the smallest k such that greedy generation after prompt + y[..k] yields y[k..].</summary>
    private static double[] PrefixByPrefix(ICausalLM model, IReadOnlyList<EncodedQa> rows)
    {
        var prompts = new List<int[]>();
        foreach (var r in rows)
            for (int k = 0; k <= r.AnswerLength; k++) prompts.Add(r.Ids[..(r.PromptLength + k)]);
        var gens = GreedyDecoder.Generate(model, prompts, rows.Max(r => r.AnswerLength), Eos, Pad, torch.CPU, batchSize: 256);
        var es = new double[rows.Count];
        int p = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            int n = r.AnswerLength, kStar = -1;
            for (int k = 0; k <= n; k++, p++)
            {
                var rest = r.Ids.AsSpan(r.PromptLength + k, n - k);
                bool ok = gens[p].Length >= n - k && gens[p].AsSpan(0, n - k).SequenceEqual(rest);
                if (kStar < 0 && ok) kStar = k;
            }
            es[i] = 1.0 - (double)Math.Min(kStar, n - 1) / n;     // OpenUnlearning tries k < n only: the 1/n floor
        }
        return es;
    }

    [Fact]
    public void Exact_single_pass_es_equals_prefix_by_prefix_greedy_generation_on_random_models()
    {
        var rng = new SplitMix64(2024);
        var all = new List<double>();
        for (int seed = 0; seed < 4; seed++)
        {
            using var model = RandomModel(seed);
            var rows = Samples(model, rng, 60);
            var onePass = Evaluator.Evaluate(model, rows, 16, torch.CPU, Pad).EsExact;
            var byGeneration = PrefixByPrefix(model, rows);
            Assert.Equal(byGeneration, onePass);
            all.AddRange(onePass);
        }
        Assert.Equal(240, all.Count);
        Assert.True(all.Distinct().Count() >= 5, $"ES values should cover the range, got {string.Join(", ", all.Distinct().Order())}");
    }

    [Fact]
    public void Bisection_with_generation_finds_the_same_es()
    {
        var rng = new SplitMix64(77);
        using var model = RandomModel(9);
        var rows = Samples(model, rng, 30);
        var onePass = Evaluator.Evaluate(model, rows, 16, torch.CPU, Pad).EsExact;
        var bisection = GenerationEs.Bisection(model, rows, Eos, Pad, batchSize: 7);
        Assert.Equal(onePass, bisection);
    }

    [Fact]
    public void Batched_right_padded_generation_equals_one_prompt_at_a_time()
    {
        using var model = RandomModel(3);
        var rng = new SplitMix64(3);
        var prompts = Enumerable.Range(0, 9).Select(_ => Enumerable.Range(0, 1 + rng.Next(7)).Select(_ => 2 + rng.Next(Vocab - 2)).ToArray()).ToArray();
        var batched = GreedyDecoder.Generate(model, prompts, 8, Eos, Pad, torch.CPU, batchSize: 4);
        for (int i = 0; i < prompts.Length; i++)
            Assert.Equal(GreedyDecoder.Generate(model, [prompts[i]], 8, Eos, Pad, torch.CPU)[0], batched[i]);
        Assert.All(batched, g => Assert.DoesNotContain(Eos, g));
    }

    [Fact]
    public void Generation_stops_at_eos_and_at_max_new_tokens()
    {
        using var model = new BigramLM(Kit.Tok.VocabSize).Chain(Kit.Tok, '=', "ab");
        int[] prompt = Kit.Tok.Encode("Q=");
        Assert.Equal(Kit.Tok.Encode("ab"), GreedyDecoder.Generate(model, [prompt], 10, Kit.Tok.EosId, 0, torch.CPU)[0]);
        Assert.Equal(Kit.Tok.Encode("a"), GreedyDecoder.Generate(model, [prompt], 1, Kit.Tok.EosId, 0, torch.CPU)[0]);
        Assert.Empty(GreedyDecoder.Generate(model, [prompt], 0, Kit.Tok.EosId, 0, torch.CPU)[0]);
        Assert.Throws<ArgumentException>(() => GreedyDecoder.Generate(model, [Array.Empty<int>()], 1, null, 0, torch.CPU));
    }

    [Fact]
    public void Metric_loops_do_not_leak_tensors()
    {
        using var model = RandomModel(4);
        var rng = new SplitMix64(4);
        var rows = Samples(model, rng, 8);
        // Warm up, then the live tensor count must not grow across repeated evaluations.
        Evaluator.Evaluate(model, rows, 4, torch.CPU, Pad);
        AnswerScorer.Score(model, rows, 4, torch.CPU, Pad, moments: true);
        Generations.Greedy(model, rows.Select(r => r.Ids[..r.PromptLength]).ToArray(), 4, Eos, Pad, 4);
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 3; i++)
        {
            AnswerScorer.Score(model, rows, 4, torch.CPU, Pad, moments: true);
            Generations.Greedy(model, rows.Select(r => r.Ids[..r.PromptLength]).ToArray(), 4, Eos, Pad, 4);
            GenerationEs.Bisection(model, rows, Eos, Pad, 4);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
