using DslUnlearn.Calibration;
using DslUnlearn.Tests.Attacks;

namespace DslUnlearn.Tests.Calibration;

[Collection(TinyModelCollection.Name)]
public class ModelMixingTests
{
    private static (LlamaForCausalLM Reference, LlamaForCausalLM Unlearned) TwoModels() => (TinyKit.NewModel(seed: 1), TinyKit.NewModel(seed: 2));

    [Fact]
    public void Alpha_zero_gives_the_reference_weights_and_alpha_one_the_unlearned_ones_exactly()
    {
        var (reference, unlearned) = TwoModels();
        using var _r = reference;
        using var _u = unlearned;
        var refW = TinyKit.Weights(reference);
        var unlW = TinyKit.Weights(unlearned);
        using (var mixer = new ModelMixer(reference, unlearned))
        {
            Assert.Equal(refW.Count, mixer.ParameterCount);
            mixer.SetAlpha(0);
            Assert.Equal(refW, TinyKit.Weights(unlearned));
            mixer.SetAlpha(0.3);
            var mid = TinyKit.Weights(unlearned);
            foreach (var (name, w) in mid)
                for (int i = 0; i < w.Length; i++)
                    Assert.True(Math.Abs(0.7 * refW[name][i] + 0.3 * unlW[name][i] - w[i]) < 1e-6, $"{name}[{i}]");
            mixer.SetAlpha(0.8);
            Assert.True(Math.Abs(0.2 * refW["lm_head.weight"][3] + 0.8 * unlW["lm_head.weight"][3] - TinyKit.Weights(unlearned)["lm_head.weight"][3]) < 1e-6);
            mixer.SetAlpha(1);
            Assert.Equal(unlW, TinyKit.Weights(unlearned));
            mixer.SetAlpha(0.5);
            Assert.Equal(refW, TinyKit.Weights(reference));        // the reference is never written
        }
        Assert.Equal(unlW, TinyKit.Weights(unlearned));            // Dispose restores the unlearned weights bit for bit
    }

    [Fact]
    public void Mixing_keeps_one_copy_of_the_weights_and_leaks_no_tensor()
    {
        var (reference, unlearned) = TwoModels();
        using var _r = reference;
        using var _u = unlearned;
        using (var warmUp = new ModelMixer(reference, unlearned)) warmUp.SetAlpha(0.4);
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        using (var mixer = new ModelMixer(reference, unlearned))
        {
            Assert.Equal(mixer.ParameterCount, stats.DetachedFromScopeCount);   // exactly one saved tensor per parameter
            long afterCopy = stats.ThreadTotalLiveCount;
            foreach (double a in new[] { 0.0, 0.25, 0.5, 0.75, 1.0, 0.1 }) mixer.SetAlpha(a);
            Assert.Equal(afterCopy, stats.ThreadTotalLiveCount);                // SetAlpha allocates nothing that survives
        }
        Assert.Equal(0, stats.ThreadTotalLiveCount);
    }

    [Fact]
    public void Mixing_models_of_different_shapes_is_refused_with_the_parameter_named()
    {
        using var a = TinyKit.NewModel(layers: 1);
        using var b = TinyKit.NewModel(layers: 2);
        var e = Assert.Throws<ArgumentException>(() => new ModelMixer(a, b));
        Assert.Contains("model.layers.1.self_attn.q_proj.weight", e.Message);
        Assert.Throws<ArgumentException>(() => new ModelMixer(a, a));
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.6)]
    [InlineData(0.4)]
    public void Bisection_finds_the_largest_passing_alpha_within_tolerance_in_at_most_8_evaluations(double tau)
    {
        // Monotone responses with known crossing alpha* (reference value 1): 1 - a^2, 1 - a, a step, a smooth sigmoid.
        var cases = new (Func<double, double> F, double AlphaStar)[]
        {
            (a => 1 - a * a, Math.Sqrt(1 - tau)),
            (a => 1 - a, 1 - tau),
            (a => a <= 0.37 ? 1 : 0, 0.37),
            (a => 1 / (1 + Math.Exp(20 * (a - 0.5))) / (1 / (1 + Math.Exp(-10))), 0.5 + Math.Log(1 / (tau / (1 / (1 + Math.Exp(-10)))) - 1) / 20),
        };
        foreach (var (f, star) in cases)
        {
            var (alpha, retain, evaluations) = ModelMixingCalibrator.Search(f, referenceRetain: 1.0, fraction: tau, tolerance: 0.01);
            Assert.InRange(alpha, star - 0.01, star);
            Assert.True(retain >= tau * 1.0);
            Assert.Equal(f(alpha), retain);
            Assert.True(evaluations <= 8, $"{evaluations} evaluations");
        }
    }

    [Fact]
    public void A_response_that_never_drops_calibrates_to_one_with_a_single_evaluation()
    {
        var (alpha, retain, evaluations) = ModelMixingCalibrator.Search(_ => 0.95, referenceRetain: 1.0, fraction: 0.9, tolerance: 0.01);
        Assert.Equal((1.0, 0.95, 1), (alpha, retain, evaluations));
        // A response that fails at every alpha > 0 stays at the reference: alpha 0, reference value.
        var (a0, r0, n0) = ModelMixingCalibrator.Search(a => a == 0 ? 1 : 0, referenceRetain: 1.0, fraction: 0.9, tolerance: 0.01);
        Assert.Equal((0.0, 1.0, 8), (a0, r0, n0));
    }

    [Fact]
    public void Calibrating_a_real_unlearned_model_reaches_the_retain_target_reports_forget_es_and_restores_the_model()
    {
        using var reference = (LlamaForCausalLM)TinyKit.Target.Clone();
        using var unlearned = (LlamaForCausalLM)TinyKit.Unlearned.Clone();
        var unlW = TinyKit.Weights(unlearned);
        var es = new EsExactMetric(new NoOptions());
        double Retain(ICausalLM m) => es.Compute(new MetricContext(m, TinyKit.Encoder, TinyKit.Data.RetainEval, "retain", CPU)).AggValue;
        MetricResult Forget(ICausalLM m) => es.Compute(new MetricContext(m, TinyKit.Encoder, TinyKit.Data.Forget, "forget", CPU));
        int retainCalls = 0;
        var context = new CalibrationContext(reference, unlearned, m => { retainCalls++; return Retain(m); },
            new Dictionary<string, Func<ICausalLM, MetricResult>> { ["es_exact"] = Forget });

        var result = new ModelMixingCalibrator(new ModelMixingOptions { Fraction = 0.9, CurvePoints = 5 }).Calibrate(context);

        Assert.Equal(Retain(reference), result.ReferenceRetainValue);
        Assert.True(result.RetainValue >= 0.9 * result.ReferenceRetainValue);
        Assert.InRange(result.Alpha, 0, 1);
        Assert.True(result.Evaluations <= 8);
        Assert.Equal(1 + result.Evaluations + 4, retainCalls);      // reference + search + curve (alpha 0 reuses the reference)
        Assert.Equal(TinyKit.Data.Forget.Count, result.Forget["es_exact"].ValueByIndex!.Count);
        Assert.Equal([0, 0.25, 0.5, 0.75, 1], result.Curve.Select(p => p.Alpha));
        Assert.Equal(result.ReferenceRetainValue, result.Curve[0].Retain);
        Assert.Equal(Forget(reference).AggValue, result.Curve[0].Forget["es_exact"]);
        Assert.Equal(Forget(unlearned).AggValue, result.Curve[^1].Forget["es_exact"]);
        Assert.Equal(unlW, TinyKit.Weights(unlearned));           // restored bit for bit
        if (result.Alpha < 1)
            Assert.True(Retain(unlearned) < 0.9 * result.ReferenceRetainValue, "alpha < 1 only when the unlearned model misses the target");
    }

    [Fact]
    public void A_method_that_never_hurt_retention_calibrates_to_one()
    {
        using var reference = (LlamaForCausalLM)TinyKit.Target.Clone();
        using var same = (LlamaForCausalLM)TinyKit.Target.Clone();
        var es = new EsExactMetric(new NoOptions());
        var context = new CalibrationContext(reference, same,
            m => es.Compute(new MetricContext(m, TinyKit.Encoder, TinyKit.Data.RetainEval, "retain", CPU)).AggValue,
            new Dictionary<string, Func<ICausalLM, MetricResult>>());
        var result = new ModelMixingCalibrator(new ModelMixingOptions { CurvePoints = 0 }).Calibrate(context);
        Assert.Equal(1.0, result.Alpha);
        Assert.Equal(1, result.Evaluations);
        Assert.Empty(result.Curve);
    }

    [Fact]
    public void Bad_options_are_refused_with_the_key_named()
    {
        Assert.Contains("calibration.fraction", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelMixingCalibrator(new ModelMixingOptions { Fraction = 1.5 })).Message);
        Assert.Contains("calibration.tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelMixingCalibrator(new ModelMixingOptions { Tolerance = 0 })).Message);
        Assert.Contains("calibration.curve_points", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelMixingCalibrator(new ModelMixingOptions { CurvePoints = 1 })).Message);
    }
}
