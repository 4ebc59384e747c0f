using DslUnlearn.Attacks;

namespace DslUnlearn.Tests.Attacks;

[Collection(TinyModelCollection.Name)]
public class ModelAttackTests
{
    [Fact]
    public void Relearning_lowers_the_forget_nll_of_an_unlearned_model_and_leaves_it_unchanged()
    {
        var unlearned = TinyKit.Unlearned;
        double target = TinyKit.Nll(TinyKit.Target, TinyKit.Data.Forget);
        double before = TinyKit.Nll(unlearned, TinyKit.Data.Forget);
        Assert.True(before > target + 0.5, $"GA should have raised the forget NLL: target {target:F3}, unlearned {before:F3}");
        var weights = TinyKit.Weights(unlearned);

        var result = new RelearnAttack(new RelearnOptions()).Apply(TinyKit.Context(unlearned));
        using var relearned = result.Model;
        Assert.NotSame(unlearned, relearned);
        double after = TinyKit.Nll(relearned, TinyKit.Data.Forget);
        Assert.True(after < before - 0.1, $"relearning for one epoch at the fine-tuning lr should lower the forget NLL: {before:F3} -> {after:F3}");
        Assert.Equal(weights, TinyKit.Weights(unlearned));          // the attacked model itself is untouched
        Assert.False(relearned.Module.training);

        // Deterministic: the same seed gives the same relearned weights.
        using var again = new RelearnAttack(new RelearnOptions()).Apply(TinyKit.Context(unlearned)).Model;
        Assert.Equal(TinyKit.Weights(relearned), TinyKit.Weights(again));
    }

    [Fact]
    public void Relearning_subset_is_seeded_and_lr_defaults_to_the_finetuning_lr()
    {
        var data = SyntheticAuthors.Generate(new Specs.Vocabulary.DataSpec { Source = Specs.Vocabulary.DataSource.Synthetic, Authors = 10, QaPerAuthor = 5, ForgetAuthors = 2 });
        var half = new RelearnAttack(new RelearnOptions { DataFraction = 0.3 });
        var a = half.Subset(data, 1);
        Assert.Equal(3, a.Count);                                   // ceil(0.3 * 10)
        Assert.Equal(a, half.Subset(data, 1));
        Assert.All(a, e => Assert.Contains(e, data.Forget));
        Assert.Same(data.Forget, new RelearnAttack(new RelearnOptions()).Subset(data, 1));

        // A tiny lr barely moves the model, the fine-tuning lr (the default) moves it: the default is not tiny.
        var unlearned = TinyKit.Unlearned;
        using var tiny = new RelearnAttack(new RelearnOptions { Lr = 1e-9 }).Apply(TinyKit.Context(unlearned)).Model;
        using var byDefault = new RelearnAttack(new RelearnOptions { Steps = 1 }).Apply(TinyKit.Context(unlearned)).Model;
        using var explicitLr = new RelearnAttack(new RelearnOptions { Steps = 1, Lr = TinyKit.FinetuneLr }).Apply(TinyKit.Context(unlearned)).Model;
        Assert.Equal(TinyKit.Weights(explicitLr), TinyKit.Weights(byDefault));
        Assert.True(Math.Abs(TinyKit.Nll(tiny, TinyKit.Data.Forget) - TinyKit.Nll(unlearned, TinyKit.Data.Forget)) < 1e-3);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelearnAttack(new RelearnOptions { DataFraction = 0 }));
    }

    [Fact]
    public void Logit_lens_at_the_last_layer_is_the_model_itself()
    {
        var model = TinyKit.Target;
        var result = new ProbeAttack(new ProbeOptions { Layer = -1 }).Apply(TinyKit.Context(model));
        using var view = result.Model;
        Assert.IsType<ProbeView>(view);
        foreach (var e in TinyKit.Data.Forget)
            Assert.Equal(TinyKit.LogitsOf(model, e), TinyKit.LogitsOf(view, e));
        Assert.Equal(2, ((ProbeView)view).Layer);
        Assert.Equal(2, ProbeAttack.ResolveLayer(2, 2));
        Assert.Equal(0, ProbeAttack.ResolveLayer(-3, 2));
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => ProbeAttack.ResolveLayer(3, 2));
        Assert.Contains("0..2", bad.Message);
    }

    [Fact]
    public void Intermediate_layer_probe_is_a_model_every_metric_runs_on_and_disposing_it_keeps_the_base()
    {
        var model = TinyKit.Target;
        var weights = TinyKit.Weights(model);
        var view = new ProbeAttack(new ProbeOptions { Layer = 1 }).Apply(TinyKit.Context(model)).Model;
        Assert.NotEqual(TinyKit.LogitsOf(model, TinyKit.Data.Forget[0]), TinyKit.LogitsOf(view, TinyKit.Data.Forget[0]));
        var es = new EsExactMetric(new NoOptions()).Compute(new MetricContext(view, TinyKit.Encoder, TinyKit.Data.Forget, "forget", CPU));
        var esModel = new EsExactMetric(new NoOptions()).Compute(new MetricContext(model, TinyKit.Encoder, TinyKit.Data.Forget, "forget", CPU));
        Assert.Equal(TinyKit.Data.Forget.Count, es.ValueByIndex!.Count);
        Assert.True(es.AggValue < esModel.AggValue, $"layer 1 of 2 should extract less than the full model: {es.AggValue} vs {esModel.AggValue}");
        using (var output = view.Forward(torch.tensor(new long[] { 1, 40, 41 }, [1, 3]), outputHiddenStates: true))
            Assert.Equal(2, output.HiddenStates!.Count);            // a view at layer 1 looks like a 1-layer model
        view.Dispose();
        Assert.Equal(weights, TinyKit.Weights(model));              // the base is borrowed, not disposed
    }

    /// <summary>Generation-based metrics (ROUGE-L recall) call the masked forward; a probe view answers it with the same read-out.</summary>
    [Fact]
    public void A_probe_view_answers_the_masked_forward_with_its_layers_read_out()
    {
        var model = TinyKit.Target;
        using var view = new ProbeAttack(new ProbeOptions { Layer = 1 }).Apply(TinyKit.Context(model)).Model;
        using var ids = torch.tensor(new long[] { 1, 40, 41, 42 }, [1, 4]);
        using var mask = torch.ones(1, 4, dtype: ScalarType.Int64);
        using var plain = view.Logits(ids);
        using var masked = view.Forward(ids, mask, null, outputHiddenStates: true);
        Assert.Equal(2, masked.HiddenStates!.Count);
        Assert.Equal(plain.data<float>().ToArray(), masked.Logits.data<float>().ToArray());
        using var full = model.Logits(ids);
        Assert.NotEqual(full.data<float>().ToArray(), masked.Logits.data<float>().ToArray()); // layer 1, not the model's own logits
    }

    [Fact]
    public void Tuned_readout_is_trained_deterministically_on_retain_and_beats_the_logit_lens()
    {
        var model = TinyKit.Target;
        var weights = TinyKit.Weights(model);
        var options = new ProbeOptions { Layer = 1, Readout = ProbeReadout.Tuned, TunedSteps = 40, TunedLr = 3e-3 };
        using var a = (ProbeView)new ProbeAttack(options).Apply(TinyKit.Context(model, seed: 3)).Model;
        using var b = (ProbeView)new ProbeAttack(options).Apply(TinyKit.Context(model, seed: 3)).Model;
        using var lens = new ProbeAttack(options with { Readout = ProbeReadout.LogitLens }).Apply(TinyKit.Context(model)).Model;
        float[] Params(ProbeView v) => v.Readout!.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        Assert.Equal(Params(a), Params(b));
        Assert.Contains(Params(a), v => v != 0);
        Assert.True(TinyKit.Nll(a, TinyKit.Data.RetainEval) < TinyKit.Nll(lens, TinyKit.Data.RetainEval));
        Assert.Equal(weights, TinyKit.Weights(model));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        using var clone = a.Clone();
        Assert.Equal(TinyKit.LogitsOf(a, TinyKit.Data.Forget[1]), TinyKit.LogitsOf(clone, TinyKit.Data.Forget[1]));
    }

    [Fact]
    public void Quantization_error_is_bounded_by_half_a_step_and_nonzero_and_4_bit_is_coarser()
    {
        torch.manual_seed(5);
        using var w = torch.randn(6, 10);
        foreach (var (bits, group) in new[] { (8, 10), (4, 10), (8, 4), (4, 4), (4, 3) })
        {
            using var scope = torch.NewDisposeScope();
            var (q, scale) = QuantizeAttack.FakeQuantize(w, bits, group);
            Assert.Equal(w.shape, q.shape);
            long groups = (10 + group - 1) / group;
            Assert.Equal(new long[] { 6, groups }, scale.shape);
            var err = (w - q).abs();
            // Per element bound: |w - q(w)| <= scale / 2 of its (row, group).
            var perColumn = scale.repeat_interleave(group, dim: 1).narrow(1, 0, 10);
            Assert.True((err <= perColumn / 2 * (1 + 1e-6) + 1e-12).all().item<bool>(), $"bits {bits}, group {group}");
            Assert.True(err.max().item<float>() > 0);
            // At most 2^bits levels per (row, group).
            for (int c = 0; c < 10; c += group)
            {
                var levels = q.narrow(1, c, Math.Min(group, 10 - c)).div(perColumn.narrow(1, c, Math.Min(group, 10 - c))).round();
                Assert.True(levels.abs().max().item<float>() <= (1 << (bits - 1)));
            }
        }
        using var s = torch.NewDisposeScope();
        double Err(int bits, int group) => (w - QuantizeAttack.FakeQuantize(w, bits, group).Dequantized).abs().mean().item<float>();
        Assert.True(Err(4, 10) > Err(8, 10));
        Assert.True(Err(4, 4) > Err(8, 4));
        // Hand-computed: row [1.4, -0.45, 0.27] at 4 bits: scale = 1.4 / 7 = 0.2; levels 7, -2.25 -> -2, 1.35 -> 1.
        using var row = torch.tensor(new float[] { 1.4f, -0.45f, 0.27f }, [1, 3]);
        var (hq, hs) = QuantizeAttack.FakeQuantize(row, 4, 3);
        Assert.Equal(0.2f, hs.item<float>(), 6);
        Assert.Equal(new[] { 1.4f, -0.4f, 0.2f }, hq.data<float>().ToArray(), new FloatTolerance());
    }

    private sealed class FloatTolerance : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) < 1e-5;
        public int GetHashCode(float obj) => 0;
    }

    [Fact]
    public void Quantize_attack_changes_every_linear_weight_of_a_copy_and_nothing_else()
    {
        var model = TinyKit.Target;
        var before = TinyKit.Weights(model);
        using var q8 = new QuantizeAttack(new QuantizeOptions { Bits = 8 }).Apply(TinyKit.Context(model)).Model;
        using var q4 = new QuantizeAttack(new QuantizeOptions { Bits = 4, Granularity = QuantGranularity.Group, GroupSize = 8 }).Apply(TinyKit.Context(model)).Model;
        Assert.Equal(before, TinyKit.Weights(model));
        var w8 = TinyKit.Weights(q8);
        foreach (var (name, values) in before)
        {
            bool linear = name.EndsWith("proj.weight") || name == "lm_head.weight";
            Assert.Equal(linear, !values.SequenceEqual(w8[name]));
        }
        double MeanErr(ICausalLM m) => TinyKit.Weights(m).Sum(kv => kv.Value.Zip(before[kv.Key]).Sum(p => Math.Abs(p.First - p.Second)));
        Assert.True(MeanErr(q4) > MeanErr(q8));
        // int8 barely changes the outputs.
        var l = TinyKit.LogitsOf(model, TinyKit.Data.Forget[0]);
        var l8 = TinyKit.LogitsOf(q8, TinyKit.Data.Forget[0]);
        Assert.True(l.Zip(l8).Max(p => Math.Abs(p.First - p.Second)) < 0.5);
        var noHead = new QuantizeAttack(new QuantizeOptions { IncludeLmHead = false }).QuantizeInPlace(TinyKit.NewModel());
        Assert.DoesNotContain("lm_head.weight", noHead);
        Assert.Equal(14, noHead.Count);                             // 2 layers x 7 projections
    }

    [Fact]
    public void Relearn_then_probe_chain_composes_and_owns_the_intermediate_copy()
    {
        var unlearned = TinyKit.Unlearned;
        var chain = new AttackChain([new RelearnAttack(new RelearnOptions()), new ProbeAttack(new ProbeOptions { Layer = -1 })]);
        var result = chain.Apply(TinyKit.Context(unlearned));
        var owning = Assert.IsType<OwningModel>(result.Model);
        var view = Assert.IsType<ProbeView>(owning.Inner);
        using var relearnedAlone = new RelearnAttack(new RelearnOptions()).Apply(TinyKit.Context(unlearned)).Model;
        Assert.Equal(TinyKit.LogitsOf(relearnedAlone, TinyKit.Data.Forget[0]), TinyKit.LogitsOf(result.Model, TinyKit.Data.Forget[0]));
        var relearnedWeight = view.Base.Module.parameters().First();
        result.Model.Dispose();
        Assert.True(relearnedWeight.IsInvalid);                    // the chain's copy died with the result
        Assert.False(unlearned.parameters().First().IsInvalid);

        // Input transforms compose in order: jailbreak first, then noise on the jailbroken question.
        var inputs = new AttackChain([new JailbreakAttack(new JailbreakOptions { Text = "alpha {question}" }), new TokenNoiseAttack(new TokenNoiseOptions { Fraction = 1, Filler = "x" })]);
        var r = inputs.Apply(TinyKit.Context(unlearned));
        Assert.Same(unlearned, r.Model);
        Assert.Equal("x x x x x?", r.InputTransform!(new QaExample(0, "A", "Where was A born?", "B", "P?")).Question);
    }
}
