using DslUnlearn.Methods;
using DslUnlearn.Progress;
using DslUnlearn.Training;
using static DslUnlearn.Tests.Methods.Kit;

namespace DslUnlearn.Tests.Methods;

public class UnlearningLoopTests
{
    private static EncodedQa[] Forget6() =>
    [
        Row("Who wrote Ash?", "Bo Li."), Row("Born where?", "In Oslo."), Row("Genre?", "Poetry."),
        Row("Award?", "Kell Prize."), Row("Father?", "A baker."), Row("Mother?", "A pilot."),
    ];

    private static EncodedQa[] Retain4() => [Row("Pet?", "A cat."), Row("City?", "Rome."), Row("Year?", "1980."), Row("Team?", "Reds.")];

    private static IReadOnlyList<UnlearningLoop.StepLog> Run(ICausalLM model, IUnlearningMethod method, ulong seed = 3, Action<int, ICausalLM>? onCheckpoint = null,
        EncodedQa[]? forget = null)
        => UnlearningLoop.Run(model, method, forget ?? Forget6(), Retain4(), seed, CPU, NullProgressSink.Instance, "test", Tokenizer.PadId,
            tokenizer: Tokenizer, onCheckpoint: onCheckpoint);

    private static float[] Weights(ICausalLM model) => model.Module.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    /// <summary>The loop as it was before the options existed: AdamW(wd 0), constant lr, forget-then-retain draws.</summary>
    private static void LegacyLoop(ICausalLM model, bool gd, ulong seed, int steps, double lr, int batch)
    {
        var forgetSampler = new BatchSampler(Forget6(), batch, new SplitMix64(seed));
        var retainSampler = new BatchSampler(Retain4(), batch, new SplitMix64(seed ^ 0xA5A5A5A5UL));
        using var optimizer = optim.AdamW(model.Module.parameters(), lr: lr, weight_decay: 0);
        model.Module.train();
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            using var f = TokenBatch.Collate(forgetSampler.NextBatch(), CPU, Tokenizer.PadId);
            using var r = gd ? TokenBatch.Collate(retainSampler.NextBatch(), CPU, Tokenizer.PadId) : null;
            var loss = -CausalLmLoss.Nll(model, f);
            if (r is not null) loss = loss + 1.0 * CausalLmLoss.Nll(model, r);
            loss.backward();
            optimizer.step();
        }
        model.Module.eval();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Default_options_reproduce_the_original_loop_bit_for_bit(bool gd)
    {
        using var a = TinyModel();
        using var b = a.Clone();
        IUnlearningMethod method = gd ? new GradientDifference(new GdOptions { Lr = 1e-3, Steps = 4, BatchSize = 4 })
                                      : new GradientAscent(new GaOptions { Lr = 1e-3, Steps = 4, BatchSize = 4 });
        Run(a, method);
        LegacyLoop(b, gd, seed: 3, steps: 4, lr: 1e-3, batch: 4);
        Assert.Equal(Weights(b), Weights(a));
    }

    [Fact]
    public void Same_seed_gives_identical_weights_and_seed_offset_changes_the_batch_order()
    {
        using var a = TinyModel();
        using var b = a.Clone();
        using var c = a.Clone();
        var o = new GaOptions { Lr = 1e-3, Steps = 3, BatchSize = 2 };
        Run(a, new GradientAscent(o));
        Run(b, new GradientAscent(o));
        Run(c, new GradientAscent(o with { SeedOffset = 1 }));
        Assert.Equal(Weights(a), Weights(b));
        Assert.NotEqual(Weights(a), Weights(c));
    }

    [Fact]
    public void Sgd_takes_one_plain_gradient_step_on_the_seeded_batch()
    {
        using var model = TinyModel();
        using var probe = model.Clone();
        const double lr = 0.05;
        var o = new GaOptions { Lr = lr, Steps = 1, BatchSize = 2, Optimizer = OptimizerKind.Sgd, SeedOffset = 4 };
        // Gradient of the same loss on the same batch (seed 3 + offset 4), computed by hand.
        var rows = new BatchSampler(Forget6(), 2, new SplitMix64(7)).NextBatch();
        probe.Module.train();
        using (var batch = Batch(rows)) (-CausalLmLoss.Nll(probe, batch)).backward();
        var expected = probe.Module.parameters().SelectMany(p => (p.detach() - lr * p.grad!).data<float>().ToArray()).ToArray();
        Run(model, new GradientAscent(o));
        var actual = Weights(model);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void Gradient_accumulation_over_micro_batches_equals_one_big_batch()
    {
        // All answers have the same number of labelled tokens, so the mean of micro-batch means is the batch mean.
        EncodedQa[] rows = [Row("A?", "Abc."), Row("B?", "Bcd."), Row("C?", "Cde."), Row("D?", "Def.")];
        using var big = TinyModel();
        using var small = big.Clone();
        var o = new GaOptions { Lr = 0.05, Steps = 2, Optimizer = OptimizerKind.Sgd };
        Run(big, new GradientAscent(o with { BatchSize = 2 }), forget: rows);
        var log = Run(small, new GradientAscent(o with { BatchSize = 1, GradientAccumulation = 2 }), forget: rows);
        Assert.Equal(2, log.Count);
        var a = Weights(big);
        var b = Weights(small);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
    }

    [Fact]
    public void Epochs_replace_steps_and_count_optimizer_steps_per_pass()
    {
        Assert.Equal(10, new GaOptions { Steps = 10 }.TotalSteps(6));
        Assert.Equal(6, new GaOptions { Epochs = 2, BatchSize = 2 }.TotalSteps(6));
        Assert.Equal(4, new GaOptions { Epochs = 2, BatchSize = 2, GradientAccumulation = 2 }.TotalSteps(6)); // ceil(6/4) = 2 per epoch
        using var model = TinyModel();
        Assert.Equal(3, Run(model, new GradientAscent(new GaOptions { Epochs = 1, BatchSize = 2 })).Count);
    }

    [Fact]
    public void Warm_up_is_linear_then_constant()
    {
        var o = new GaOptions { Lr = 1.0, WarmupSteps = 4 };
        Assert.Equal([0.25, 0.5, 0.75, 1.0, 1.0, 1.0], Enumerable.Range(0, 6).Select(s => UnlearningLoop.LearningRate(o, s)));
        Assert.Equal(1.0, UnlearningLoop.LearningRate(o with { WarmupSteps = 0 }, 0));
    }

    [Fact]
    public void Max_grad_norm_bounds_the_update_and_weight_decay_shrinks_weights()
    {
        using var clipped = TinyModel();
        using var free = clipped.Clone();
        using var start = clipped.Clone();
        var o = new GaOptions { Lr = 1.0, Steps = 1, BatchSize = 2, Optimizer = OptimizerKind.Sgd };
        Run(free, new GradientAscent(o));
        Run(clipped, new GradientAscent(o with { MaxGradNorm = 1e-3 }));
        double Move(ICausalLM m) => Math.Sqrt(Weights(m).Zip(Weights(start), (x, y) => (double)(x - y) * (x - y)).Sum());
        Assert.True(Move(free) > 1e-2, $"unclipped step {Move(free)}");
        Assert.InRange(Move(clipped), 0.9e-3, 1.1e-3); // lr 1 * gradient clipped to norm 1e-3
    }

    [Fact]
    public void Checkpoints_are_handed_out_every_n_steps_and_after_the_last_in_eval_mode()
    {
        using var model = TinyModel();
        var seen = new List<(int Step, bool Training, float Weight)>();
        void Observe(int step, ICausalLM m) => seen.Add((step, m.Module.training, Weights(m).Sum()));
        Run(model, new GradientAscent(new GaOptions { Lr = 1e-2, Steps = 5, BatchSize = 2, CheckpointEvery = 2 }), onCheckpoint: Observe);
        Assert.Equal([2, 4, 5], seen.Select(s => s.Step));
        Assert.All(seen, s => Assert.False(s.Training));
        Assert.Equal(3, seen.Select(s => s.Weight).Distinct().Count()); // the model moved between checkpoints
        seen.Clear();
        Run(model, new GradientAscent(new GaOptions { Steps = 3, BatchSize = 2 }), onCheckpoint: Observe);
        Assert.Empty(seen); // checkpoint_every = 0: off
    }

    /// <summary>
    /// With a constant lr, a run of N steps is the step-N checkpoint of a longer run, bit for bit: a spec's
    /// <c>steps: [4, 7, 10]</c> sweep gives the checkpoints along one trajectory as models of their own (the paper's
    /// metric-robustness study, experiments/paper/metric-robustness.yaml).
    /// </summary>
    [Theory]
    [InlineData("ga")]
    [InlineData("npo")]
    public void A_shorter_run_is_the_longer_runs_checkpoint(string kind)
    {
        IUnlearningMethod Method(int steps, int every) => kind == "ga"
            ? new GradientAscent(new GaOptions { Lr = 1e-2, Steps = steps, BatchSize = 2, CheckpointEvery = every })
            : new Npo(new NpoOptions { Lr = 1e-2, Steps = steps, BatchSize = 2, CheckpointEvery = every });
        using var start = TinyModel();
        using var longRun = start.Clone();
        float[]? atTwo = null;
        Run(longRun, Method(5, 1), onCheckpoint: (step, m) => { if (step == 2) atTwo = Weights(m); });
        using var shortRun = start.Clone();
        Run(shortRun, Method(2, 0));
        Assert.NotNull(atTwo);
        Assert.Equal(atTwo, Weights(shortRun));
        Assert.NotEqual(Weights(longRun), Weights(shortRun)); // the long run went on
    }

    [Fact]
    public void A_checkpoint_observer_may_clone_the_model_and_keep_it()
    {
        using var model = TinyModel();
        var kept = new List<ICausalLM>();
        try
        {
            Run(model, new GradientAscent(new GaOptions { Lr = 1e-2, Steps = 2, BatchSize = 2, CheckpointEvery = 1 }), onCheckpoint: (_, m) => kept.Add(m.Clone()));
            Assert.Equal(2, kept.Count);
            Assert.NotEqual(Weights(kept[0]), Weights(kept[1])); // still alive and distinct after the loop's scopes closed
        }
        finally { foreach (var k in kept) k.Dispose(); }
    }

    [Fact]
    public void Bad_options_are_reported_with_the_key_and_the_fix()
    {
        using var model = TinyModel();
        var e = Assert.Throws<ArgumentException>(() => Run(model, new GradientAscent(new GaOptions { Name = "ga-sharp", TokenLossFraction = 1.5 })));
        Assert.Contains("unlearn 'ga-sharp' (method ga): 'token_loss_fraction' must be > 0 and <= 1, got 1.5; set it to a value > 0 and <= 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => Run(model, new GradientAscent(new GaOptions { ForgetTemperature = 0 })));
        Assert.Contains("'forget_temperature' must be > 0, got 0; set it to a value > 0", e.Message);
        var idk = Assert.Throws<InvalidOperationException>(() => UnlearningLoop.Run(model, new IdkPo(new IdkOptions { Steps = 1 }), Forget6(), Retain4(), 1, CPU,
            NullProgressSink.Instance, "t", Tokenizer.PadId));
        Assert.Contains("needs the tokenizer", idk.Message);
    }
}
