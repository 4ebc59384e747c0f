using DslUnlearn.Methods;
using static DslUnlearn.Tests.Methods.Kit;

namespace DslUnlearn.Tests.Methods;

/// <summary>
/// The reference model in DPO and the KL family: DPO trains from precomputed reference log-probabilities (forget and
/// IdK batches) with bit-identical results; methods that need the reference on varying retain batches keep it, in the
/// compute dtype, frozen, outside the optimizer.
/// </summary>
public class DpoReferenceTests
{
    private static (IReadOnlyList<UnlearningLoop.StepLog> Log, float[] Weights) Run(IUnlearningMethod method, bool cache, ScalarType? compute = null)
        => RunPerturbed(method, cache, Tokenizer, compute);

    public static TheoryData<string> Dpos => new("dpo", "dpo_tricks_retain_accumulated");

    private static IUnlearningMethod Make(string name) => name switch
    {
        "dpo" => new Dpo(new DpoOptions { Lr = 1e-3, Steps = 4, BatchSize = 1 }),
        "dpo_tricks_retain_accumulated" => new Dpo(new DpoOptions
        {
            Lr = 1e-3, Epochs = 2, BatchSize = 1, GradientAccumulation = 2, MaxGradNorm = 1.0, Beta = 0.5, RetainWeight = 0.5,
            ForgetTemperature = 2.0, TokenLossFraction = 0.5, IdkSeed = 7,
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Dpos))]
    public void Dpo_with_cached_reference_log_probs_is_bit_identical(string name)
        => AssertCacheChangesNothing(() => Make(name), Tokenizer);

    /// <summary>Records, at every step, what the method received and what the reference looks like.</summary>
    private sealed class Recording(IUnlearningMethod inner) : IUnlearningMethod
    {
        public List<string> Problems { get; } = [];
        public List<(bool HasModel, int Cached)> Seen { get; } = [];
        public ScalarType? ReferenceDtype { get; private set; }
        private float[]? _first;
        public UnlearnOptions Options => inner.Options;
        public bool NeedsReference => inner.NeedsReference;
        public bool NeedsRetain => inner.NeedsRetain;
        public bool ReferenceOnlyOnForget => inner.ReferenceOnlyOnForget;
        public IEnumerable<DslUnlearn.Data.TokenBatch> ReferenceBatches(IReadOnlyList<DslUnlearn.Data.EncodedQa> rows, int step, DslUnlearn.Text.ITokenizer? tokenizer, Device device)
            => inner.ReferenceBatches(rows, step, tokenizer, device);

        public Tensor Loss(UnlearnStep step)
        {
            Seen.Add((step.Reference is not null, step.ReferenceCache?.Count ?? -1));
            if (step.Reference is { } reference)
            {
                foreach (var p in reference.Module.parameters())
                {
                    ReferenceDtype = p.dtype;
                    if (p.requires_grad) Problems.Add("a reference parameter requires grad");
                    if (p.grad is not null) Problems.Add("a reference parameter has a gradient");   // set by an earlier step's backward
                }
                // Frozen: its weights never move while the trained model's do (no optimizer holds them, no storage is shared).
                var weights = reference.Module.parameters().SelectMany(p => p.to(ScalarType.Float32).data<float>().ToArray()).ToArray();
                _first ??= weights;
                if (!_first.SequenceEqual(weights)) Problems.Add($"the reference's weights changed by step {step.StepIndex}");
                if (reference.Module.training) Problems.Add("the reference is in training mode");
            }
            return inner.Loss(step);
        }
    }

    [Fact]
    public void With_the_cache_no_dpo_step_holds_the_reference_model()
    {
        Assert.True(((IUnlearningMethod)new Dpo(new DpoOptions())).ReferenceOnlyOnForget);
        var cached = new Recording(Make("dpo"));
        Run(cached, cache: true);
        Assert.Equal(4, cached.Seen.Count);
        Assert.All(cached.Seen, s => Assert.False(s.HasModel));
        // Two forget rows in batches of one over four steps: forget batches and the IdK batches of each step.
        Assert.All(cached.Seen, s => Assert.InRange(s.Cached, 2, 8));
    }

    public static TheoryData<string> KlFamily => new("npo_kl", "kl", "idk_kl");

    [Theory]
    [MemberData(nameof(KlFamily))]
    public void Kl_methods_keep_a_frozen_reference_in_the_compute_dtype(string name)
    {
        foreach (var compute in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            IUnlearningMethod inner = name switch
            {
                "npo_kl" => new NpoKl(new NpoRetainOptions { Lr = 1e-3, Steps = 3, BatchSize = 1 }),
                "kl" => new KlMinimization(new KlOptions { Lr = 1e-3, Steps = 3, BatchSize = 1 }),
                "idk_kl" => new IdkKl(new IdkOptions { Lr = 1e-3, Steps = 3, BatchSize = 1 }),
                _ => throw new ArgumentOutOfRangeException(nameof(name)),
            };
            Assert.False(inner.ReferenceOnlyOnForget);   // the retain batches vary: the model must stay
            var recording = new Recording(inner);
            Run(recording, cache: true, compute: compute);
            Assert.Equal(3, recording.Seen.Count);
            Assert.All(recording.Seen, s => Assert.True(s.HasModel));
            Assert.Empty(recording.Problems);
            Assert.Equal(compute, recording.ReferenceDtype);
        }
    }
}
