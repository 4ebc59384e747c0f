using DslUnlearn.Attacks;
using DslUnlearn.Tests.Models;

namespace DslUnlearn.Tests.Generation;

/// <summary>
/// Generating metrics after a probe attack decode through a <see cref="ProbeView"/> (and, after a chain, an
/// <see cref="OwningModel"/> around it): the batched KV-cache generator must run through the view, caching the base's
/// layers, and give the uncached reference decoder's tokens, on every model family and for both read-outs.
/// </summary>
public class ProbeViewGenerationTests
{
    private const int Pad = 0;

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Cached_generation_through_a_probe_view_equals_the_uncached_reference(string name)
    {
        using var model = TinyModels.Create(name, seed: 31);
        var prompts = TinyModels.Prompts(7, 8, 10);
        var readout = new TunedReadout(model.HiddenSize, torch.CPU);
        using (torch.no_grad())
            foreach (var p in readout.parameters()) p.normal_(0, 0.3); // a readout that is not the identity
        foreach (var (layer, tuned) in new[] { (1, false), (1, true), (0, false) })
        {
            using var view = new ProbeView(model, layer, tuned ? readout.Copy() : null, ownsBase: false);
            var reference = GreedyDecoder.Generate(view, prompts, 9, null, Pad, torch.CPU, batchSize: 1);
            Assert.Equal(reference, Generations.Greedy(view, prompts, 9, null, Pad, batchSize: 3));
            using var owning = new OwningModel(new ProbeView(model, layer, null, ownsBase: false), []);
            Assert.Equal(GreedyDecoder.Generate(owning, prompts, 9, null, Pad, torch.CPU, batchSize: 1), Generations.Greedy(owning, prompts, 9, null, Pad, batchSize: 4));
        }
        readout.Dispose();
    }

    [Fact]
    public void Probe_view_generation_does_not_leak_tensors()
    {
        using var model = TinyModels.Create("llama", seed: 32);
        using var view = new ProbeView(model, 1, null, ownsBase: false);
        var prompts = TinyModels.Prompts(5, 9, 8);
        Generations.Greedy(view, prompts, 6, null, Pad, batchSize: 2);
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 3; i++) Generations.Greedy(view, prompts, 6, null, Pad, batchSize: 2);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
