using DslUnlearn.Tests.Models;

namespace DslUnlearn.Tests.Metrics;

/// <summary>
/// <see cref="Evaluator.Evaluate(ICausalLM, IReadOnlyList{EncodedQa}, int, Device, int)"/> runs on the shared
/// teacher-forced loop (<see cref="AnswerScorer.ForEachBatch"/>). Its numbers are the bits of the loop it had of its
/// own before (kept below as the reference), and of the values that loop printed on this seeded model.
/// </summary>
public class EvaluatorTests
{
    private const int Pad = 0, Eos = TinyModels.Vocab - 1;

    /// <summary>Evaluator's own loop as it was before it moved onto ForEachBatch (main at 79a3086), verbatim.</summary>
    private static Evaluator.Scores OldEvaluate(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId)
    {
        var es = new List<double>(rows.Count);
        var em = new List<double>(rows.Count);
        var module = model.Module;
        bool wasTraining = module.training;
        module.eval();
        using (torch.no_grad())
        {
            for (int i = 0; i < rows.Count; i += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                using var batch = TokenBatch.Collate(rows.Skip(i).Take(batchSize).ToArray(), device, padId);
                var logits = model.Logits(batch.InputIds);
                var (bEs, bEm) = ExtractionStrength.FromLogits(logits, batch.Labels, batch.AnswerLengths);
                es.AddRange(bEs);
                em.AddRange(bEm);
            }
        }
        if (wasTraining) module.train();
        return new Evaluator.Scores(es.ToArray(), em.ToArray());
    }

    /// <summary>Rows whose answers are the model's own greedy continuation of a seeded prompt with one token changed at
    /// a seeded place, so ES and EM take many values (a random model on random answers scores 0 everywhere).</summary>
    private static EncodedQa[] Rows(ICausalLM model, int count)
    {
        var prompts = TinyModels.Prompts(count, seed: 11, maxLength: 6);
        var rng = new SplitMix64(13);
        var lengths = prompts.Select(_ => 2 + rng.Next(5)).ToArray();
        var answers = Generations.Greedy(model, prompts, lengths, null, Pad, 4);
        return prompts.Select((p, r) =>
        {
            var answer = answers[r].Select(t => t == Pad || t == Eos ? 1 : t).ToArray();
            if (r % 3 != 0) answer[rng.Next(answer.Length)] = 1 + rng.Next(TinyModels.Vocab - 2);
            return new EncodedQa([.. p, .. answer, Eos], p.Length, answer.Length);
        }).ToArray();
    }

    private static long[] Bits(IEnumerable<double> xs) => xs.Select(BitConverter.DoubleToInt64Bits).ToArray();

    [Fact]
    public void Scores_are_the_bits_of_the_old_loop_at_every_batch_size()
    {
        using var lm = TinyModels.Create("llama", seed: 7);
        var rows = Rows(lm, 10);
        var old = OldEvaluate(lm, rows, 1, CPU, Pad);
        // The values the old loop gave on this model before the change (ES and EM are ratios of token counts, so they
        // do not depend on float rounding).
        Assert.Equal(PinnedEs, old.EsExact);
        Assert.Equal(PinnedEm, old.Em);
        foreach (int batch in new[] { 1, 2, 3, 4, 10, 32 })
        {
            var now = Evaluator.Evaluate(lm, rows, batch, CPU, Pad);
            var before = OldEvaluate(lm, rows, batch, CPU, Pad);
            Assert.Equal(Bits(before.EsExact), Bits(now.EsExact));
            Assert.Equal(Bits(before.Em), Bits(now.Em));
        }
    }

    // Printed by the old loop at 79a3086 (1 torch thread): ES is 1 - k*/n (0.333.. = 1 - 2/3, 0.25 = 1 - 3/4, 0.2 = 1 - 4/5)
    // and EM is hits/n, so rows 0, 3, 6 and 9 (the unchanged continuations) score 1 on both.
    private static readonly double[] PinnedEs = [1, 0.33333333333333337, 0.33333333333333337, 1, 0.25, 0.19999999999999996, 1, 0.33333333333333337, 0.19999999999999996, 1];
    private static readonly double[] PinnedEm = [1, 0.6666666666666666, 0.3333333333333333, 1, 0, 0.6, 1, 0.5, 0.8, 1];

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_batch_size_below_one_is_an_error_that_names_it(int batch)
    {
        using var lm = TinyModels.Create("llama", seed: 7);
        var rows = new[] { new EncodedQa([3, 4, 5, Eos], 2, 1) };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Evaluator.Evaluate(lm, rows, batch, CPU, Pad));
        Assert.Contains($"batch size is {batch};", e.Message);
        Assert.Contains("at least 1", e.Message);
    }

    [Fact]
    public void An_empty_answer_is_an_error_before_any_pass_and_the_training_mode_stays()
    {
        using var lm = TinyModels.Create("llama", seed: 7);
        lm.Module.train();
        var rows = new[] { new EncodedQa([3, 4, 5, Eos], 2, 1), new EncodedQa([3, 4, Eos], 2, 0) };
        var e = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(lm, rows, 2, CPU, Pad));
        Assert.Contains("empty answer", e.Message);
        Assert.True(lm.Module.training);
        Evaluator.Evaluate(lm, rows[..1], 2, CPU, Pad);
        Assert.True(lm.Module.training);
    }
}
