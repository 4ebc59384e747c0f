using DslUnlearn.Methods;
using DslUnlearn.Progress;
using static DslUnlearn.Tests.Methods.Kit;

namespace DslUnlearn.Tests.Dsl;

/// <summary>StepCount: resolution to optimizer steps, JSON and stage-key compatibility, and what the loop does with it.</summary>
public class StepCountTests
{
    private static EncodedQa[] Forget(int n) => Enumerable.Range(0, n).Select(i => Row($"Q{i}?", $"A{i}.")).ToArray();

    private static EncodedQa[] Retain() => [Row("Pet?", "A cat."), Row("City?", "Rome.")];

    [Theory]
    [InlineData(10, StepUnit.Steps, 3, 99, 10)]
    [InlineData(2, StepUnit.Epochs, 3, 99, 6)]
    [InlineData(0.5, StepUnit.Epochs, 3, 99, 2)]       // 1.5 rounds half up
    [InlineData(0.1, StepUnit.Epochs, 30, 99, 3)]      // 0.1 * 30 is 3.0000000000000004 in binary: still 3
    [InlineData(0.01, StepUnit.Epochs, 3, 99, 1)]      // a non-zero count is at least one step
    [InlineData(0.1, StepUnit.FractionOfTotal, 7, 40, 4)]
    [InlineData(0.25, StepUnit.FractionOfTotal, 7, 10, 3)] // 2.5 -> 3
    [InlineData(0, StepUnit.Epochs, 3, 99, 0)]
    public void Resolves_to_optimizer_steps(double value, StepUnit unit, int perEpoch, int total, int expected)
        => Assert.Equal(expected, new StepCount(value, unit).Resolve(perEpoch, total));

    [Fact]
    public void A_percentage_without_a_total_is_refused_with_a_fix()
    {
        var e = Assert.Throws<InvalidOperationException>(() => StepCount.OfTotal(0.1).Resolve(3));
        Assert.Contains("give steps or epochs", e.Message);
    }

    [Fact]
    public void Plain_ints_convert_and_serialize_as_before()
    {
        StepCount ten = 10;
        Assert.Equal(new StepCount(10, StepUnit.Steps), ten);
        Assert.Equal("10", JsonSerializer.Serialize(ten));
        Assert.Equal("\"2 epochs\"", JsonSerializer.Serialize(StepCount.OfEpochs(2)));
        Assert.Equal("\"0.5 epoch\"", JsonSerializer.Serialize(StepCount.OfEpochs(0.5)));
        Assert.Equal("\"10%\"", JsonSerializer.Serialize(StepCount.OfTotal(0.1)));
        foreach (var count in new[] { ten, StepCount.OfEpochs(2), StepCount.OfEpochs(0.5), StepCount.OfTotal(0.1) })
            Assert.Equal(count, JsonSerializer.Deserialize<StepCount>(JsonSerializer.Serialize(count)));
        // Stage keys of existing specs are unchanged: a step count in steps hashes as the int it replaced.
        Assert.Equal(CanonicalJson.Serialize(CanonicalJson.FromObject(new { Steps = 10 })), CanonicalJson.Serialize(CanonicalJson.FromObject(new { Steps = ten })));
        Assert.Contains("\"steps\":10,", CanonicalJson.Serialize(CanonicalJson.FromObject(new GaOptions())));
        Assert.Contains("\"steps\":\"2 epochs\"", CanonicalJson.Serialize(CanonicalJson.FromObject(new GaOptions { Steps = StepCount.OfEpochs(2) })));
    }

    [Fact]
    public void Two_epochs_train_exactly_the_steps_of_epochs_2()
    {
        // 7 forget rows, batch 2, accumulation 2: ceil(7 / 4) = 2 steps per epoch, so 2 epochs = 4 steps.
        var forget = Forget(7);
        var byUnit = new GaOptions { Lr = 1e-2, Steps = StepCount.OfEpochs(2), BatchSize = 2, GradientAccumulation = 2 };
        var byEpochs = new GaOptions { Lr = 1e-2, Epochs = 2, BatchSize = 2, GradientAccumulation = 2 };
        Assert.Equal(4, byUnit.TotalSteps(forget.Length));
        Assert.Equal(byEpochs.TotalSteps(forget.Length), byUnit.TotalSteps(forget.Length));

        using var a = TinyModel();
        using var b = a.Clone();
        var logA = UnlearningLoop.Run(a, new GradientAscent(byUnit), forget, Retain(), 5, CPU, NullProgressSink.Instance, "a", Tokenizer.PadId);
        var logB = UnlearningLoop.Run(b, new GradientAscent(byEpochs), forget, Retain(), 5, CPU, NullProgressSink.Instance, "b", Tokenizer.PadId);
        Assert.Equal(4, logA.Count);
        Assert.Equal(logB.Select(l => l.Loss), logA.Select(l => l.Loss)); // same steps, same batches, bit for bit
    }

    [Fact]
    public void Checkpoint_cadence_and_warmup_in_epochs_and_percent()
    {
        // 6 rows, batch 2: 3 steps per epoch; steps = 2 epochs = 6; checkpoint every 0.5 epoch = 2 steps (1.5 rounds up).
        var forget = Forget(6);
        var o = new GaOptions { Lr = 1e-2, Steps = StepCount.OfEpochs(2), BatchSize = 2, CheckpointEvery = StepCount.OfEpochs(0.5), WarmupSteps = StepCount.OfTotal(0.5) };
        Assert.Equal(6, o.TotalSteps(forget.Length));
        Assert.Equal(2, o.ResolvedCheckpointEvery(forget.Length));
        Assert.Equal(3, o.ResolvedWarmupSteps(forget.Length));
        Assert.Equal(1e-2 / 3, UnlearningLoop.LearningRate(o.Lr, 3, 0), 12);
        Assert.Equal(1e-2, UnlearningLoop.LearningRate(o.Lr, 3, 3), 12);

        using var model = TinyModel();
        var seen = new List<int>();
        UnlearningLoop.Run(model, new GradientAscent(o), forget, Retain(), 5, CPU, NullProgressSink.Instance, "c", Tokenizer.PadId,
            onCheckpoint: (step, _) => seen.Add(step));
        Assert.Equal([2, 4, 6], seen);
    }

    [Fact]
    public void Finetune_warmup_in_percent_or_epochs_schedules_like_the_same_steps()
    {
        var steps = new FinetuneSpec { Epochs = 4, Lr = 1.0, BatchSize = 2, WeightDecay = 0, WarmupSteps = 5, MaxGradNorm = 0 };
        var percent = steps with { WarmupSteps = StepCount.OfTotal(0.25) };   // 25% of 20 steps
        var epochs = steps with { WarmupSteps = StepCount.OfEpochs(1) };      // 20 steps / 4 epochs
        for (int step = 0; step < 20; step++)
        {
            Assert.Equal(DslUnlearn.Training.Finetuner.Schedule(steps, step, 20), DslUnlearn.Training.Finetuner.Schedule(percent, step, 20));
            Assert.Equal(DslUnlearn.Training.Finetuner.Schedule(steps, step, 20), DslUnlearn.Training.Finetuner.Schedule(epochs, step, 20));
        }
        Assert.Equal(0.2, DslUnlearn.Training.Finetuner.Schedule(percent, 0, 20), 12);
    }

    [Fact]
    public void Invalid_counts_are_reported_with_the_key()
    {
        var e = Assert.Throws<ArgumentException>(() => new GaOptions { Steps = StepCount.OfTotal(0.5) }.Validate("ga"));
        Assert.Contains("steps must be a whole number of steps (at least 1) or a positive number of epochs", e.Message);
        e = Assert.Throws<ArgumentException>(() => new GaOptions { CheckpointEvery = new StepCount(2.5, StepUnit.Steps) }.Validate("ga"));
        Assert.Contains("checkpoint_every must be a whole number of steps, got 2.5", e.Message);
        e = Assert.Throws<ArgumentException>(() => new GaOptions { WarmupSteps = StepCount.OfTotal(1.5) }.Validate("ga"));
        Assert.Contains("warmup_steps must be at most 100% of the steps, got 150%", e.Message);
    }
}
