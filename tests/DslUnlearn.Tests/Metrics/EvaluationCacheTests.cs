using System.Collections.Immutable;

namespace DslUnlearn.Tests.Metrics;

/// <summary>
/// The evaluation pass shares forward passes and generations between metrics (<see cref="EvaluationCache"/>): every
/// shared number must be the bits that the metric's own computation gives, and the sharing must actually happen.
/// </summary>
public class EvaluationCacheTests
{
    private static LlamaForCausalLM RandomModel(int seed)
    {
        torch.manual_seed(seed);
        var m = new LlamaForCausalLM(new LlamaConfig(Kit.Tok.VocabSize, 32, 2, 4, 4, 64, 256));
        m.eval();
        return m;
    }

    private static QaExample[] Examples(int offset, int count) => Enumerable.Range(offset, count)
        .Select(i => Kit.Qa(i, $"answer {i} is {new string('x', i % 4)}here", $"para {i} answer", $"wrong {i} one", $"wrong {i} second!")).ToArray();

    private static void SameBits(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
        => Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));

    [Fact]
    public void Shared_scores_are_the_bits_of_the_separate_passes_and_one_forward_serves_es_em_and_nll()
    {
        using var model = RandomModel(5);
        var rows = Kit.Encoder.EncodeAll(Examples(0, 7));
        const int batch = 3, pad = 0;
        var cache = new EvaluationCache();
        var es = Evaluator.Evaluate(model, rows, batch, torch.CPU, pad);
        var shared = cache.EsEm(model, rows, batch, torch.CPU, pad);
        SameBits(es.EsExact, shared.EsExact);
        SameBits(es.Em, shared.Em);
        foreach (bool eos in new[] { true, false })
        {
            var alone = AnswerScorer.Score(model, rows, batch, torch.CPU, pad, includeEos: eos);
            var fromCache = cache.Stats(model, rows, batch, torch.CPU, pad, moments: false, includeEos: eos);
            for (int i = 0; i < rows.Length; i++)
            {
                SameBits(alone[i].LogProbs, fromCache[i].LogProbs);
                Assert.Equal(alone[i].Predicted, fromCache[i].Predicted);
                Assert.Equal(alone[i].Answer, fromCache[i].Answer);
                Assert.Null(fromCache[i].LogProbMean);
            }
        }
        Assert.Equal(1, cache.ForwardPasses);
        // Min-K++'s moments were not computed yet: one more pass, with the same numbers and the moments.
        var withMoments = AnswerScorer.Score(model, rows, batch, torch.CPU, pad, moments: true);
        var cachedMoments = cache.Stats(model, rows, batch, torch.CPU, pad, moments: true, includeEos: false);
        Assert.Equal(2, cache.ForwardPasses);
        for (int i = 0; i < rows.Length; i++)
        {
            SameBits(withMoments[i].LogProbMean!, cachedMoments[i].LogProbMean!);
            SameBits(withMoments[i].LogProbVariance!, cachedMoments[i].LogProbVariance!);
        }
        cache.Stats(model, rows, batch, torch.CPU, pad, moments: false, includeEos: true);
        Assert.Equal(2, cache.ForwardPasses);
    }

    [Fact]
    public void Other_rows_batching_or_models_are_new_passes_and_answers_are_copies()
    {
        using var model = RandomModel(6);
        using var other = RandomModel(7);
        var rows = Kit.Encoder.EncodeAll(Examples(0, 5));
        var cache = new EvaluationCache();
        var first = cache.EsEm(model, rows, 2, torch.CPU, 0);
        first.EsExact[0] = 42;
        Assert.NotEqual(42, cache.EsEm(model, Kit.Encoder.EncodeAll(Examples(0, 5)), 2, torch.CPU, 0).EsExact[0]);
        Assert.Equal(1, cache.ForwardPasses);
        cache.EsEm(model, rows, 3, torch.CPU, 0);
        cache.EsEm(other, rows, 2, torch.CPU, 0);
        cache.EsEm(model, rows[..4], 2, torch.CPU, 0);
        cache.EsEm(model, rows.Select(r => r with { Ids = r.Ids.Select((t, j) => j == r.Ids.Length - 2 ? (t + 1) % Kit.Tok.VocabSize : t).ToArray() }).ToArray(), 2, torch.CPU, 0);
        Assert.Equal(5, cache.ForwardPasses);
        var stats = cache.Stats(model, rows, 2, torch.CPU, 0, false, true);
        stats[0].LogProbs[0] = 1;
        Assert.NotEqual(1, cache.Stats(model, rows, 2, torch.CPU, 0, false, true)[0].LogProbs[0]);
    }

    [Fact]
    public void Shared_generation_equals_the_generator_and_runs_once()
    {
        using var model = RandomModel(8);
        var tok = Kit.Tok;
        var prompts = Examples(0, 6).Select(e => Generations.PromptIds(Kit.Encoder, e, "", false)).ToArray();
        var budgets = new[] { 5, 9, 9, 0, 5, 9 };
        var direct = Generations.Greedy(model, prompts, budgets, tok.EosId, tok.PadId, 4);
        var cache = new EvaluationCache();
        Assert.Equal(direct, cache.Greedy(model, prompts, budgets, tok.EosId, tok.PadId, 4));
        var again = cache.Greedy(model, prompts.Select(p => (int[])p.Clone()).ToArray(), budgets, tok.EosId, tok.PadId, 4);
        Assert.Equal(direct, again);
        Assert.Equal(1, cache.Generations);
        cache.Greedy(model, prompts, budgets.Select(b => b + 1).ToArray(), tok.EosId, tok.PadId, 4);
        Assert.Equal(2, cache.Generations);
    }

    private static MetricSpec Spec(string name, IMetric metric) => new() { Name = name, Metric = metric, Splits = [SplitKind.Forget, SplitKind.Retain] };

    [Fact]
    public void A_pass_with_the_cache_gives_every_metric_the_bits_it_gives_alone()
    {
        using var model = RandomModel(9);
        using var reference = RandomModel(10);
        var forget = Examples(0, 5);
        var retain = Examples(5, 4);
        var holdout = Examples(9, 5);
        var metrics = new[]
        {
            Spec("es_exact", new EsExactMetric(new NoOptions())), Spec("em", new ExactMemorizationMetric(new NoOptions())),
            Spec("es_perturb", new EsPerturbMetric(new NoOptions())),
            Spec("nll", new NllMetric(new AnswerOptions())), Spec("nll_no_eos", new NllMetric(new AnswerOptions { IncludeEos = false })),
            Spec("answer_prob", new AnswerProbabilityMetric(new AnswerOptions { ParaphrasedAnswer = true })),
            Spec("rouge_l_recall", new RougeLRecallMetric(new GenerationOptions())), Spec("rouge_l_f1", new RougeLF1Metric(new GenerationOptions())),
            Spec("es_similar", new EsSimilarMetric(new EsSimilarOptions())),
            Spec("truth_ratio", new TruthRatioMetric(new TruthRatioOptions())), Spec("forget_quality", new ForgetQualityMetric(new NoOptions())),
            Spec("mia_loss", new MiaLossMetric(new EosOptions())), Spec("mia_min_k", new MiaMinKMetric(new MinKOptions())),
            Spec("mia_min_k_plus_plus", new MiaMinKPlusPlusMetric(new MinKOptions())), Spec("mia_reference", new MiaReferenceMetric(new EosOptions())),
            Spec("privleak", new PrivLeakMetric(new PrivLeakOptions())),
        };
        MetricContext Context(SplitKind s) => Kit.Ctx(model, s == SplitKind.Forget ? forget : retain, s == SplitKind.Forget ? "forget" : "retain", reference, holdout);
        var shared = MetricEvaluation.Evaluate(metrics, Context);
        var alone = metrics.SelectMany(m => m.Splits.Select(s => MetricValues.From(m.Name, s, m.Metric.Compute(Context(s))))).ToList();
        Assert.Equal(alone.Count, shared.Count);
        for (int i = 0; i < alone.Count; i++)
        {
            Assert.Equal((alone[i].Metric, alone[i].Split), (shared[i].Metric, shared[i].Split));
            SameBits([alone[i].AggValue], [shared[i].AggValue]);
            SameBits(alone[i].Values, shared[i].Values);
        }
    }

    [Fact]
    public void Shared_scoring_does_not_leak_tensors()
    {
        using var model = RandomModel(11);
        var rows = Kit.Encoder.EncodeAll(Examples(0, 5));
        new EvaluationCache().Stats(model, rows, 2, torch.CPU, 0, moments: true, includeEos: true);
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 3; i++)
        {
            var cache = new EvaluationCache();
            cache.Stats(model, rows, 2, torch.CPU, 0, moments: true, includeEos: true);
            cache.EsEm(model, rows, 2, torch.CPU, 0);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
