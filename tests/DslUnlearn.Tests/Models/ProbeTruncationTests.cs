using DslUnlearn.Attacks;

namespace DslUnlearn.Tests.Models;

/// <summary>
/// <see cref="ICausalLM.HiddenStatesUpTo"/> stops the pass after the requested layer (probe views and RMU read an
/// intermediate layer; the later layers and the head were computed and thrown away). The states it returns must be the
/// full pass's first states bit for bit, with and without a mask and a KV cache, and their gradients too.
/// </summary>
public class ProbeTruncationTests
{
    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Truncated_states_are_the_full_pass_states(string name)
    {
        using var model = TinyModels.Create(name, seed: 41);
        using var ids = TinyModels.RandomIds(3, 9, seed: 5);
        using var _ = torch.no_grad();
        using var full = model.Forward(ids, outputHiddenStates: true);
        for (int layer = 0; layer <= model.NumLayers; layer++)
        {
            AssertFirstStates(full, model.HiddenStatesUpTo(ids, null, null, layer), layer);
        }
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Truncated_states_with_mask_and_cache_are_the_full_pass_states(string name)
    {
        using var model = TinyModels.Create(name, seed: 42);
        using var ids = TinyModels.RandomIds(2, 6, seed: 6);
        using var mask = torch.tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 6]);
        using var next = TinyModels.RandomIds(2, 1, seed: 7);
        using var mask2 = torch.cat([mask, torch.ones(2, 1, dtype: int64)], 1);
        using var _ = torch.no_grad();
        for (int layer = 0; layer <= model.NumLayers; layer++) // layer 0 with a cache: the cache must still learn the length
        {
            using var fullCache = model.NewKvCache();
            using var cutCache = model.NewKvCache();
            foreach (var (input, m) in new[] { (ids, mask), (next, mask2) })
            {
                using var full = model.Forward(input, m, fullCache, outputHiddenStates: true);
                AssertFirstStates(full, model.HiddenStatesUpTo(input, m, cutCache, layer), layer);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void A_loss_on_a_truncated_state_has_the_full_pass_gradients(string name)
    {
        using var model = TinyModels.Create(name, seed: 43);
        using var ids = TinyModels.RandomIds(2, 7, seed: 8);
        var parameters = model.Module.parameters().ToArray();
        Tensor[] Grads(Func<Tensor> hidden)
        {
            foreach (var p in parameters) p.grad?.zero_();
            using var scope = torch.NewDisposeScope();
            hidden().pow(2).mean().backward();
            return parameters.Select(p => (p.grad is null ? torch.zeros(0) : p.grad.clone()).MoveToOuterDisposeScope()).ToArray();
        }
        var full = Grads(() => model.Forward(ids, outputHiddenStates: true).HiddenStates![1]);
        var cut = Grads(() => model.HiddenStatesUpTo(ids, null, null, 1)[1]);
        for (int i = 0; i < parameters.Length; i++) AssertBits(full[i], cut[i]);
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Probe_view_logits_are_the_read_out_of_the_full_pass(string name)
    {
        using var model = TinyModels.Create(name, seed: 44);
        using var ids = TinyModels.RandomIds(3, 8, seed: 9);
        using var readout = new TunedReadout(model.HiddenSize, torch.CPU);
        using (torch.no_grad())
            foreach (var p in readout.parameters()) p.normal_(0, 0.3);
        using var _ = torch.no_grad();
        foreach (var tuned in new[] { false, true })
            for (int layer = 0; layer <= model.NumLayers; layer++)
            {
                using var view = new ProbeView(model, layer, tuned ? readout.Copy() : null, ownsBase: false);
                using var full = model.Forward(ids, outputHiddenStates: true);
                using var expected = tuned ? model.ReadOut(readout.forward(full.HiddenStates![layer])) : model.ReadOut(full.HiddenStates![layer]);
                using var logits = view.Logits(ids);
                AssertBits(expected, logits);
                using var output = view.Forward(ids, outputHiddenStates: true);
                Assert.Equal(layer + 1, output.HiddenStates!.Count);
                AssertBits(expected, output.Logits);
            }
    }

    [Fact]
    public void A_layer_outside_the_model_is_refused()
    {
        using var model = TinyModels.Create("llama");
        using var ids = TinyModels.RandomIds(1, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.HiddenStatesUpTo(ids, null, null, model.NumLayers + 1));
        using var view = new ProbeView(model, 1, null, ownsBase: false);
        Assert.Throws<ArgumentOutOfRangeException>(() => view.HiddenStatesUpTo(ids, null, null, 2));
    }

    [Fact]
    public void Truncated_passes_do_not_leak_tensors()
    {
        using var model = TinyModels.Create("llama", seed: 45);
        using var ids = TinyModels.RandomIds(2, 5);
        using var _ = torch.no_grad();
        using var view = new ProbeView(model, 1, null, ownsBase: false);
        view.Logits(ids).Dispose();
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 3; i++)
        {
            using var scope = torch.NewDisposeScope();
            view.Logits(ids);
            model.HiddenStatesUpTo(ids, null, null, 1);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    /// <summary>The truncated pass returned states 0..<paramref name="layer"/>, each the full pass's bit for bit; disposes them.</summary>
    private static void AssertFirstStates(CausalLMOutput full, IReadOnlyList<Tensor> states, int layer)
    {
        Assert.Equal(layer + 1, states.Count);
        for (int i = 0; i <= layer; i++) AssertBits(full.HiddenStates![i], states[i]);
        foreach (var s in states) s.Dispose();
    }

    private static void AssertBits(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        var a = expected.contiguous().to(ScalarType.Float32).data<float>().ToArray();
        var b = actual.contiguous().to(ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(a.Select(BitConverter.SingleToInt32Bits), b.Select(BitConverter.SingleToInt32Bits));
    }
}
