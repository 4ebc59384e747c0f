using DslUnlearn.Methods;
using DslUnlearn.Progress;
using static DslUnlearn.Tests.Methods.Kit;

namespace DslUnlearn.Tests.Methods;

/// <summary>The frozen original model: no gradient, no change, disposed at the end, no leak per step.</summary>
public class ReferenceModelTests
{
    /// <summary>An ICausalLM that records its clones and whether they were disposed.</summary>
    private sealed class TrackingLM(ICausalLM inner, List<TrackingLM> clones) : ForwardingCausalLM(inner)
    {
        public bool Disposed { get; private set; }
        public override ICausalLM Clone() { var c = new TrackingLM(Inner.Clone(), clones); clones.Add(c); return c; }
        public override void Dispose() { Disposed = true; Inner.Dispose(); }
    }

    /// <summary>NPO, plus per-step checks on the reference it receives.</summary>
    private sealed class Probe(IUnlearningMethod inner) : IUnlearningMethod
    {
        public List<float[]> ReferenceWeights { get; } = [];
        public List<float[]> ModelWeights { get; } = [];
        public UnlearnOptions Options => inner.Options;
        public bool NeedsReference => true;
        public bool NeedsRetain => inner.NeedsRetain;
        public Tensor Loss(UnlearnStep step)
        {
            Assert.NotNull(step.Reference);
            Assert.NotSame(step.Model, step.Reference);
            foreach (var p in step.Reference!.Module.parameters())
            {
                Assert.False(p.requires_grad);
                Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0);
            }
            Assert.False(step.Reference.Module.training);
            ReferenceWeights.Add(Flat(step.Reference));
            ModelWeights.Add(Flat(step.Model));
            return inner.Loss(step);
        }
    }

    private static float[] Flat(ICausalLM m) => m.Module.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();

    private static readonly DslUnlearn.Data.EncodedQa[] Retain = [Row("Pet?", "A cat."), Row("City?", "Rome.")];

    [Theory]
    [InlineData("npo_kl")]
    [InlineData("rmu")]
    [InlineData("dpo")]
    public void The_reference_is_frozen_unchanged_and_disposed_when_the_run_ends(string which)
    {
        var clones = new List<TrackingLM>();
        using var model = new TrackingLM(TinyModel(), clones);
        IUnlearningMethod method = which switch
        {
            "npo_kl" => new NpoKl(new NpoRetainOptions { Lr = 1e-2, Steps = 4, BatchSize = 2 }),
            "rmu" => new Rmu(new RmuOptions { Lr = 1e-2, Steps = 4, BatchSize = 2 }),
            _ => new Dpo(new DpoOptions { Lr = 1e-2, Steps = 4, BatchSize = 2, RetainWeight = 1 }),
        };
        var probe = new Probe(method);
        var original = Flat(model);
        UnlearningLoop.Run(model, probe, ForgetRows(), Retain, 1, CPU, NullProgressSink.Instance, "t", Tokenizer.PadId, tokenizer: Tokenizer);

        var reference = Assert.Single(clones);
        Assert.True(reference.Disposed, "the loop disposes the frozen copy");
        Assert.All(probe.ReferenceWeights, w => Assert.Equal(original, w));
        Assert.NotEqual(original, Flat(model)); // while the model itself moved
        Assert.NotEqual(probe.ModelWeights[0], probe.ModelWeights[^1]);
    }

    [Fact]
    public void The_reference_is_disposed_when_a_step_throws()
    {
        var clones = new List<TrackingLM>();
        using var model = new TrackingLM(TinyModel(), clones);
        var failing = new Failing(new NpoOptions { Steps = 3, BatchSize = 2 });
        Assert.Throws<InvalidOperationException>(() =>
            UnlearningLoop.Run(model, failing, ForgetRows(), Retain, 1, CPU, NullProgressSink.Instance, "t", Tokenizer.PadId));
        Assert.True(Assert.Single(clones).Disposed);
    }

    private sealed class Failing(NpoOptions o) : IUnlearningMethod
    {
        public UnlearnOptions Options => o;
        public bool NeedsReference => true;
        public bool NeedsRetain => false;
        public Tensor Loss(UnlearnStep step) => step.StepIndex == 1 ? throw new InvalidOperationException("boom") : new Npo(o).Loss(step);
    }

    [Theory]
    [InlineData("npo_kl")]
    [InlineData("rmu")]
    [InlineData("idk_po")]
    [InlineData("wga")]
    public void Live_tensors_after_a_run_do_not_grow_with_the_number_of_steps(string which)
    {
        long LiveAfter(int steps)
        {
            using var model = TinyModel();
            IUnlearningMethod method = which switch
            {
                "npo_kl" => new NpoKl(new NpoRetainOptions { Steps = steps, BatchSize = 2, TokenLossFraction = 0.5 }),
                "rmu" => new Rmu(new RmuOptions { Steps = steps, BatchSize = 2 }),
                "idk_po" => new IdkPo(new IdkOptions { Steps = steps, BatchSize = 2, GradientAccumulation = 2 }),
                _ => new WeightedGradientAscent(new WgaOptions { Steps = steps, BatchSize = 2, WarmupSteps = 2, MaxGradNorm = 1, CheckpointEvery = 1 }),
            };
            DisposeScopeManager.Statistics.Reset();
            UnlearningLoop.Run(model, method, ForgetRows(), Retain, 1, CPU, NullProgressSink.Instance, "t", Tokenizer.PadId,
                tokenizer: Tokenizer, onCheckpoint: (_, m) => { using var scope = torch.NewDisposeScope(); m.Logits(torch.ones(1, 3, dtype: int64)); });
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }
        long two = LiveAfter(2), six = LiveAfter(6);
        Assert.Equal(two, six);
    }
}
