using DslUnlearn.Methods;
using static DslUnlearn.Tests.Methods.Kit;

namespace DslUnlearn.Tests.Methods;

/// <summary>Precomputed reference log-probabilities: NPO without the reference model in memory, bit-identical results.</summary>
public class ReferenceLogProbsTests
{
    private static (IReadOnlyList<UnlearningLoop.StepLog> Log, float[] Weights) Run(IUnlearningMethod method, bool cache)
        => RunPerturbed(method, cache);

    public static TheoryData<string> Methods => new("npo", "npo_tricks", "npo_gd_accumulated");

    private static IUnlearningMethod Make(string name) => name switch
    {
        "npo" => new Npo(new NpoOptions { Lr = 1e-3, Steps = 4, BatchSize = 1 }),
        "npo_tricks" => new Npo(new NpoOptions { Lr = 1e-3, Steps = 3, BatchSize = 2, ForgetTemperature = 2.0, TokenLossFraction = 0.5, Beta = 0.5 }),
        "npo_gd_accumulated" => new NpoGd(new NpoRetainOptions { Lr = 1e-3, Epochs = 2, BatchSize = 1, GradientAccumulation = 2, MaxGradNorm = 1.0 }),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Cached_reference_log_probs_give_bit_identical_results(string name)
        => AssertCacheChangesNothing(() => Make(name));

    /// <summary>NPO that records what each step received.</summary>
    private sealed class Recording(IUnlearningMethod inner) : IUnlearningMethod
    {
        public List<(bool HasModel, int Cached)> Seen { get; } = [];
        public UnlearnOptions Options => inner.Options;
        public bool NeedsReference => inner.NeedsReference;
        public bool NeedsRetain => inner.NeedsRetain;
        public bool ReferenceOnlyOnForget => inner.ReferenceOnlyOnForget;
        public Tensor Loss(UnlearnStep step)
        {
            Seen.Add((step.Reference is not null, step.ReferenceCache?.Count ?? -1));
            return inner.Loss(step);
        }
    }

    [Fact]
    public void With_the_cache_no_step_holds_the_reference_model()
    {
        var cached = new Recording(Make("npo"));
        Run(cached, cache: true);
        Assert.Equal(4, cached.Seen.Count);
        Assert.All(cached.Seen, s => Assert.False(s.HasModel));
        Assert.All(cached.Seen, s => Assert.InRange(s.Cached, 1, 4)); // batches of one over two rows: at most 2 distinct, at least 1
        var live = new Recording(Make("npo"));
        Run(live, cache: false);
        Assert.All(live.Seen, s => Assert.True(s.HasModel));
    }

    [Fact]
    public void Methods_that_need_the_reference_elsewhere_keep_it()
    {
        Assert.True(((IUnlearningMethod)new Npo(new NpoOptions())).ReferenceOnlyOnForget);
        Assert.True(((IUnlearningMethod)new NpoGd(new NpoRetainOptions())).ReferenceOnlyOnForget);
        Assert.False(((IUnlearningMethod)new NpoKl(new NpoRetainOptions())).ReferenceOnlyOnForget);      // KL on retain needs the model
        Assert.False(((IUnlearningMethod)new KlMinimization(new KlOptions())).ReferenceOnlyOnForget);
        var kl = new Recording(new NpoKl(new NpoRetainOptions { Lr = 1e-3, Steps = 2, BatchSize = 1 }));
        Run(kl, cache: true);
        Assert.All(kl.Seen, s => Assert.True(s.HasModel));
    }

    [Fact]
    public void The_table_holds_the_reference_values_of_each_batch()
    {
        using var reference = TinyModel();
        var rows = ForgetRows();
        var sampler = new DslUnlearn.Training.BatchSampler(rows, 2, new DslUnlearn.Data.SplitMix64(1));
        var replay = DslUnlearn.Training.BatchSampler.Restore(rows, 2, sampler.Save());
        using var table = ReferenceLogProbs.Precompute(reference, replay, 3, CPU, Tokenizer.PadId, 1.0);
        Assert.InRange(table.Count, 1, 2);   // two rows in either order
        for (int i = 0; i < 3; i++)
        {
            using var scope = torch.NewDisposeScope();
            using var batch = Batch(sampler.NextBatch());
            var direct = Losses.ReferenceTokens(reference, batch);
            var found = table.Find(batch, 1.0);
            Assert.NotNull(found);
            Assert.Equal(direct.Nll.data<float>().ToArray(), found!.Nll.data<float>().ToArray());
            Assert.Null(table.Find(batch, 2.0));
        }
    }
}
