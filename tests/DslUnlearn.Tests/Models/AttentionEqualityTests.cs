using DslUnlearn.Generation;

namespace DslUnlearn.Tests.Models;

/// <summary>libtorch's fused scaled_dot_product_attention against attention written out, in every family:
/// plain causal, left-padded with a mask, and token by token through the KV cache.</summary>
public class AttentionEqualityTests
{
    private static float[] Run(Func<Tensor> forward, bool writtenOut)
    {
        AttentionContext.WrittenOut = writtenOut;
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return forward().data<float>().ToArray();
        }
        finally { AttentionContext.WrittenOut = false; }
    }

    private static void Close(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 1e-4, $"largest difference {worst}");
        Assert.True(expected.Any(x => x != 0));
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Causal_attention_matches_the_written_out_attention(string family)
    {
        using var model = TinyModels.Create(family);
        var ids = TinyModels.RandomIds(2, 13);
        Close(Run(() => model.Logits(ids), true), Run(() => model.Logits(ids), false));
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Masked_attention_matches_the_written_out_attention(string family)
    {
        using var model = TinyModels.Create(family);
        var ids = TinyModels.RandomIds(2, 8);
        var mask = torch.tensor(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 8]);
        Tensor F() { using var o = model.Forward(ids, mask, null, false); return o.Logits.narrow(1, 3, 5).clone(); }
        Close(Run(F, true), Run(F, false));
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Kv_cached_attention_matches_the_written_out_attention(string family)
    {
        using var model = TinyModels.Create(family);
        var ids = TinyModels.RandomIds(2, 10);
        Tensor F()
        {
            var cache = new KvCache(model.NumLayers);
            var parts = new List<Tensor>();
            using (var o = model.Forward(ids.narrow(1, 0, 6), null, cache, false)) parts.Add(o.Logits.clone());
            for (int i = 6; i < 10; i++)
                using (var o = model.Forward(ids.narrow(1, i, 1), null, cache, false)) parts.Add(o.Logits.clone());
            cache.Dispose();
            return torch.cat(parts, 1);
        }
        var plain = Run(() => model.Logits(ids), false);
        Close(Run(F, true), Run(F, false));
        Close(plain, Run(F, false)); // and the cache gives what the full forward gives
    }
}
