using DslUnlearn.Components;
using DslUnlearn.Stats;
using static DslUnlearn.Tests.Metrics.Kit;

namespace DslUnlearn.Tests.Metrics;

// Hand-computed values below score the answer tokens only (include_eos: false); tests/fixtures/likelihood checks the EOS-counting default.
public class TruthRatioAndMiaTests
{
    /// <summary>After '=': logits ln 6 on 'p', ln 4 on 'x', ln 2 on 'u', ln 3 on 'v', 0 elsewhere: Z = 6+4+2+3+96 = 111.</summary>
    private static BigramLM Designed()
        => new BigramLM(Tok.VocabSize).Set(Id('='), Id('p'), Math.Log(6)).Set(Id('='), Id('x'), Math.Log(4))
            .Set(Id('='), Id('u'), Math.Log(2)).Set(Id('='), Id('v'), Math.Log(3));

    [Fact]
    public void Truth_ratio_is_wrong_over_true_with_tofu_aggregations()
    {
        using var model = Designed();
        var examples = new[] { Qa(0, "x", "p", "u", "v") };
        // p(true) = 6/111 (paraphrased answer 'p'); p(wrong) = exp(mean(ln 2/111, ln 3/111)) = sqrt(6)/111.
        double r = Math.Sqrt(6) / 6;
        var forget = new TruthRatioMetric(new TruthRatioOptions { IncludeEos = false }).Compute(Ctx(model, examples, split: "forget"));
        Assert.Equal(r, forget.ValueByIndex![0], 5);
        Assert.Equal(r, forget.AggValue, 5);                           // min(R, 1/R)
        var retain = new TruthRatioMetric(new TruthRatioOptions { IncludeEos = false }).Compute(Ctx(model, examples, split: "retain"));
        Assert.Equal(1 - r, retain.AggValue, 5);                        // max(0, 1 - R)
        var forced = new TruthRatioMetric(new TruthRatioOptions { Aggregation = "true_better", IncludeEos = false }).Compute(Ctx(model, examples, split: "forget"));
        Assert.Equal(1 - r, forced.AggValue, 5);
        Assert.Throws<ArgumentException>(() => new TruthRatioMetric(new TruthRatioOptions { Aggregation = "closest", IncludeEos = false }));
    }

    [Fact]
    public void Truth_ratio_compares_against_the_paraphrased_answer_never_falls_back_and_needs_perturbed_answers()
    {
        using var model = Designed();
        // real_authors-style (the loader sets the paraphrased answer to the answer, TOFU's base_answer_key): true answer 'x' (4/111), wrong 'u' (2/111) -> R = 1/2.
        var tr = new TruthRatioMetric(new TruthRatioOptions { IncludeEos = false }).Compute(Ctx(model, [Qa(0, "x", "x", "u")], split: "real_authors"));
        Assert.Equal(0.5, tr.ValueByIndex![0], 5);
        var none = Assert.Throws<ArgumentException>(() => new TruthRatioMetric(new TruthRatioOptions { IncludeEos = false }).Compute(Ctx(model, [Qa(5, "x", null, "u")])));
        Assert.Contains("example 5", none.Message);
        Assert.Contains("no paraphrased answer", none.Message);
        var e = Assert.Throws<ArgumentException>(() => new TruthRatioMetric(new TruthRatioOptions { IncludeEos = false }).Compute(Ctx(model, [Qa(3, "x", "p")])));
        Assert.Contains("example 3", e.Message);
        Assert.Contains("_perturbed", e.Message);
    }

    [Fact]
    public void Normalized_answer_probability_divides_by_the_options()
    {
        using var model = Designed();
        var v = new NormalizedAnswerProbabilityMetric(new EosOptions { IncludeEos = false }).Compute(Ctx(model, [Qa(0, "x", null, "u", "v")]));
        Assert.Equal(4.0 / 9, v.AggValue, 5);                          // 4 / (4 + 2 + 3)
    }

    [Fact]
    public void Forget_quality_is_one_against_an_identical_reference_and_needs_a_reference()
    {
        using var model = Designed();
        using var other = new BigramLM(Tok.VocabSize);
        var examples = Enumerable.Range(0, 5).Select(i => Qa(i, i % 2 == 0 ? "x" : "p", i % 3 == 0 ? "p" : "x", "u", "v")).ToArray();
        Assert.Equal(1.0, new ForgetQualityMetric(new NoOptions()).Compute(Ctx(model, examples, reference: model.Clone())).AggValue);
        Assert.Null(new ForgetQualityMetric(new NoOptions()).Compute(Ctx(model, examples, reference: other)).ValueByIndex);
        var e = Assert.Throws<ArgumentException>(() => new ForgetQualityMetric(new NoOptions()).Compute(Ctx(model, examples)));
        Assert.Contains("reference model", e.Message);
    }

    [Fact]
    public void Model_utility_is_the_harmonic_mean_of_its_nine_tofu_parts()
    {
        using var model = Designed().Chain(Tok, '=', "p");                  // greedy answer "p"
        var retain = new[] { Qa(0, "p", "p", "u", "v"), Qa(1, "x", "p", "u") };
        var aux = new Dictionary<string, IReadOnlyList<QaExample>>
        {
            ["real_authors"] = [Qa(0, "p", "p", "u", "v")],
            ["world_facts"] = [Qa(0, "p", "p", "x")],
        };
        var metric = new ModelUtilityMetric(new GenerationOptions { MaxNewTokens = 4 });
        var c = Ctx(model, retain, split: "retain", aux: aux);
        var parts = metric.Parts(c);
        Assert.Equal(9, parts.Count);
        Assert.Equal("retain/answer_prob", parts[0].Key);
        Assert.Equal("real_authors/answer_prob_normalized", parts[3].Key);
        Assert.Equal(0.5, parts[1].Value, 12);                              // ROUGE recall: "p" right for 0, wrong for 1
        Assert.Equal(1.0, parts[4].Value, 12);
        double hm = parts.Count / parts.Sum(p => 1 / p.Value);
        Assert.Equal(hm, metric.Compute(c).AggValue, 12);
    }

    [Fact]
    public void Retain_utility_is_the_harmonic_mean_of_model_utilitys_three_parts_on_the_split_and_needs_no_auxiliary_sets()
    {
        using var model = Designed().Chain(Tok, '=', "p");                  // greedy answer "p"
        var retain = new[] { Qa(0, "p", "p", "u", "v"), Qa(1, "x", "p", "u") };
        var c = Ctx(model, retain, split: "retain");
        var parts = RetainUtilityMetric.Parts(c, retain, 4);
        Assert.Equal(["retain/answer_prob", "retain/rouge_l_recall", "retain/truth_ratio"], parts.Select(p => p.Key));
        // each part is the value of the metric of that name on the split (each tested on its own against a reference)
        Assert.Equal(new AnswerProbabilityMetric(new AnswerOptions()).Compute(c).AggValue, parts[0].Value, 12);
        Assert.Equal(0.5, parts[1].Value, 12);                              // ROUGE recall: "p" right for 0, wrong for 1
        Assert.Equal(new RougeLRecallMetric(new GenerationOptions { MaxNewTokens = 4 }).Compute(c).AggValue, parts[1].Value, 12);
        Assert.Equal(new TruthRatioMetric(new TruthRatioOptions()).Compute(c).AggValue, parts[2].Value, 12); // true_better on retain
        double hm = 3 / parts.Sum(p => 1 / p.Value);
        Assert.Equal(hm, new RetainUtilityMetric(new GenerationOptions { MaxNewTokens = 4 }).Compute(c).AggValue, 12);

        // model_utility's first three parts are these, on the same rows
        var aux = new Dictionary<string, IReadOnlyList<QaExample>> { ["real_authors"] = [Qa(0, "p", "p", "u", "v")], ["world_facts"] = [Qa(0, "p", "p", "x")] };
        var full = new ModelUtilityMetric(new GenerationOptions { MaxNewTokens = 4 }).Parts(Ctx(model, retain, split: "retain", aux: aux));
        Assert.Equal(parts.Select(p => (p.Key, p.Value)), full.Take(3).Select(p => (p.Key, p.Value)));
    }

    [Fact]
    public void Statistics_hand_values()
    {
        Assert.Equal(0.5, Statistics.Auc([1, 2, 3], [1, 2, 3]), 12);
        Assert.Equal(1.0, Statistics.Auc([1, 2], [3, 4]));
        Assert.Equal(0.0, Statistics.Auc([3, 4], [1, 2]));
        Assert.Equal(3.5 / 4, Statistics.Auc([1, 2], [2, 3]), 12);         // one tie counts 1/2
        Assert.Equal(1.0, Statistics.KsTwoSamplePValue([1, 2, 3], [1, 2, 3]));
        Assert.Equal(0.1, Statistics.KsTwoSamplePValue([1, 2, 3], [4, 5, 6]), 12);   // 2 of C(6,3) orderings
        Assert.Equal(2.0 / 3, Statistics.KsTwoSamplePValue([1, 2], [3]), 12);
        Assert.Equal(1.0, Statistics.KsTwoSamplePValue([1, 3], [2, 4]), 12);
        Assert.Equal(2.0 / 3, Statistics.HarmonicMean([1, 0.5]), 12);
        Assert.Equal(0.0, Statistics.HarmonicMean([1, 0]));
    }

    [Fact]
    public void Ks_p_value_equals_brute_force_enumeration_of_orderings()
    {
        var rng = new SplitMix64(5);
        for (int trial = 0; trial < 40; trial++)
        {
            int n1 = 1 + rng.Next(6), n2 = 1 + rng.Next(6);
            var x = Enumerable.Range(0, n1).Select(_ => (double)rng.Next(8)).ToArray();
            var y = Enumerable.Range(0, n2).Select(_ => (double)rng.Next(8)).ToArray();
            long observed = Statistics.KsStatisticScaled(x, y);
            // Every ordering of n1 x's and n2 y's (distinct values) is equally likely under the null.
            int hits = 0, total = 0;
            for (int mask = 0; mask < 1 << (n1 + n2); mask++)
            {
                if (System.Numerics.BitOperations.PopCount((uint)mask) != n1) continue;
                total++;
                long i = 0, j = 0, d = 0;
                for (int b = 0; b < n1 + n2; b++)
                {
                    if ((mask >> b & 1) == 1) i++; else j++;
                    d = Math.Max(d, Math.Abs(i * n2 - j * n1));
                }
                if (d >= observed) hits++;
            }
            double expected = observed == 0 ? 1.0 : (double)hits / total;
            Assert.Equal(expected, Statistics.KsTwoSamplePValue(x, y), 10);
        }
    }

    /// <summary>The mean per-sample attack score (what the aggregate was before a holdout was required).</summary>
    private static double Mean(MiaMetric m, MetricContext c) => m.Scores(c, c.Model, c.Inputs).Average();

    [Fact]
    public void Mia_metrics_need_a_holdout_and_report_the_auc_of_members_against_it()
    {
        // p('x' | '=') = 1/2: "x" (member-like, NLL ln 2) vs "u" (uniform, NLL ln V): the holdout scores higher, AUC 1.
        using var model = new BigramLM(Tok.VocabSize);
        model.Set(Id('='), Id('x'), Math.Log(99));
        var members = new[] { Qa(0, "x"), Qa(1, "x") };
        var e = Assert.Throws<ArgumentException>(() => new MiaLossMetric(new EosOptions { IncludeEos = false }).Compute(Ctx(model, members)));
        Assert.Contains(MetricNeedsText.For("mia_loss", MetricNeeds.Holdout), e.Message);
        var c = Ctx(model, members) with { Holdout = [Qa(5, "u"), Qa(6, "u")] };
        var r = new MiaLossMetric(new EosOptions { IncludeEos = false }).Compute(c);
        Assert.Equal(1.0, r.AggValue);
        Assert.Equal(2, r.ValueByIndex!.Count);                         // per-sample scores stay the members'
        Assert.Equal(0.5, new MiaLossMetric(new EosOptions { IncludeEos = false }).Compute(c with { Holdout = members }).AggValue);
        Assert.Contains("privleak", Assert.Throws<ArgumentException>(() => new PrivLeakMetric(new PrivLeakOptions()).Compute(Ctx(model, members))).Message);
        // privleak against the model itself as the reference: the same AUC, gap 0.
        Assert.Equal(0, new PrivLeakMetric(new PrivLeakOptions { Attack = "mia_loss" }).Compute(c with { Reference = model }).AggValue, 9);
    }

    [Fact]
    public void Mia_scores_match_hand_computed_values()
    {
        // p('x' | '=') = 1/2, p('y' | 'x') = 3/4 (Kit.XyModel).
        using var model = XyModel();
        var c = Ctx(model, [Qa(0, "xy")]);
        double nll = XyNll;
        Assert.Equal(nll, Mean(new MiaLossMetric(new EosOptions { IncludeEos = false }), c), 5);
        Assert.Equal(nll / 10, Mean(new MiaZlibMetric(new EosOptions { IncludeEos = false }), c), 5);     // zlib("xy") = 10 bytes
        Assert.Equal(-Math.Log(0.5), Mean(new MiaMinKMetric(new MinKOptions { K = 0.4 }), c), 5); // max(1, int(0.8)) = 1 token
        Assert.Equal(nll, Mean(new MiaMinKMetric(new MinKOptions { K = 1 }), c), 5);
        using var uniform = new BigramLM(Tok.VocabSize);
        Assert.Equal(nll - LnV, Mean(new MiaReferenceMetric(new EosOptions { IncludeEos = false }), Ctx(model, [Qa(0, "xy")], reference: uniform)), 5);

        // Min-K%++ at '=': p(x) = 1/2 and 99 tokens at 1/198: mu = E[log p], var = E[log^2 p] - mu^2.
        double a = Math.Log(0.5), b = Math.Log(0.5 / 99);
        double mu = 0.5 * a + 0.5 * b, var = 0.5 * a * a + 0.5 * b * b - mu * mu;
        using var one = new BigramLM(Tok.VocabSize);
        one.Set(Id('='), Id('x'), Math.Log(99));
        Assert.Equal(-(a - mu) / Math.Sqrt(var), Mean(new MiaMinKPlusPlusMetric(new MinKOptions()), Ctx(one, [Qa(0, "x")])), 4);
        // Uniform: log p = mu exactly in exact arithmetic; float32 leaves ~5e-7, divided by the clamped sigma 1e-3.
        Assert.InRange(Mean(new MiaMinKPlusPlusMetric(new MinKOptions()), Ctx(uniform, [Qa(0, "x")])), -1e-3, 1e-3);
    }

    [Fact]
    public void Gradnorm_of_a_uniform_bigram_is_the_norm_of_softmax_minus_one_hot()
    {
        // d(-log softmax(w)[y]) / dw = softmax(w) - onehot(y) on the one row used: L2 norm sqrt((V-1)/V).
        using var model = new BigramLM(Tok.VocabSize);
        var c = Ctx(model, [Qa(0, "x"), Qa(1, "y")]);
        var r = new MiaGradNormMetric(new GradNormOptions()).Scores(c, model, c.Inputs);
        Assert.All(r, v => Assert.Equal(Math.Sqrt(0.99), v, 5));
        Assert.Equal(2 * 0.99, Mean(new MiaGradNormMetric(new GradNormOptions { Norm = "l1" }), c), 5);
        Assert.Equal(0.99, Mean(new MiaGradNormMetric(new GradNormOptions { Norm = "linf" }), c), 5);
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
        Assert.Throws<ArgumentException>(() => new MiaGradNormMetric(new GradNormOptions { Norm = "l3" }));
    }

    [Fact]
    public void Mia_auc_separates_memorized_from_holdout_and_privleak_compares_with_the_reference()
    {
        using var model = new BigramLM(Tok.VocabSize).Chain(Tok, '=', "xy", logit: 5);
        var forget = new[] { Qa(0, "xy"), Qa(1, "xy"), Qa(2, "xy") };
        var holdout = new[] { Qa(0, "zw"), Qa(1, "wz"), Qa(2, "zz") };
        var c = Ctx(model, forget, holdout: holdout);
        foreach (MiaMetric m in new MiaMetric[] { new MiaLossMetric(new()), new MiaZlibMetric(new()), new MiaMinKMetric(new()), new MiaMinKPlusPlusMetric(new()) })
            Assert.Equal(1.0, m.Compute(c).AggValue);
        Assert.Equal(0.5, new MiaLossMetric(new()).Compute(Ctx(model, forget, holdout: forget)).AggValue);
        // AUC 1 vs the default reference AUC 0.5: ((1-1) - (1-0.5)) / 0.5 * 100 = -100; against itself: 0.
        Assert.Equal(-100, new PrivLeakMetric(new PrivLeakOptions()).Compute(c).AggValue, 6);
        Assert.Equal(0, new PrivLeakMetric(new PrivLeakOptions()).Compute(Ctx(model, forget, reference: model, holdout: holdout)).AggValue, 6);
        var e = Assert.Throws<ArgumentException>(() => new PrivLeakMetric(new PrivLeakOptions()).Compute(Ctx(model, forget)));
        Assert.Contains("holdout", e.Message);
        Assert.Throws<ArgumentException>(() => new PrivLeakMetric(new PrivLeakOptions { Attack = "mia_lost" }));
    }

    [Fact]
    public void Zlib_lengths_match_python_zlib_compress()
    {
        Assert.Equal(10, MiaZlibMetric.ZlibLength("xy"));
        Assert.Equal(19, MiaZlibMetric.ZlibLength("Hello world"));
        Assert.Equal(46, MiaZlibMetric.ZlibLength("The birthplace of Zou Brastel is Lima."));
        Assert.Equal(12, MiaZlibMetric.ZlibLength(new string('a', 58)));
    }
}
