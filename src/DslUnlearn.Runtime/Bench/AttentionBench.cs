using System.Diagnostics;
using DslUnlearn.Torch;

namespace DslUnlearn.Bench;

/// <summary>
/// libtorch's fused scaled_dot_product_attention (what every family uses) against attention written out
/// (softmax(q kᵀ / √d + causal mask) v, which materialises the [seq, seq] scores), forward + backward, by
/// sequence length: seconds and peak resident bytes above the inputs. Part of `bench --scale`.
/// </summary>
public static class AttentionBench
{
    public static JsonArray Run(int[] lengths, int heads, int headDim, Device device, int batch = 1)
    {
        var rows = new JsonArray();
        bool cpu = device.type == DeviceType.CPU;
        foreach (int t in lengths)
        {
            var row = new JsonObject { ["seq_len"] = t, ["heads"] = heads, ["head_dim"] = headDim, ["batch"] = batch };
            foreach (var (name, fused) in new[] { ("sdpa", true), ("explicit", false) })
            {
                using var scope = torch.NewDisposeScope();
                var g = new Generator(7, device);
                var q = torch.randn([batch, heads, t, headDim], generator: g, device: device).requires_grad_(true);
                var k = torch.randn([batch, heads, t, headDim], generator: g, device: device).requires_grad_(true);
                var v = torch.randn([batch, heads, t, headDim], generator: g, device: device).requires_grad_(true);
                Step(q, k, v, fused); // warm-up
                ProcessMemory.ResetPeak();
                long? start = cpu ? ProcessMemory.Rss() : null;
                var clock = Stopwatch.StartNew();
                Step(q, k, v, fused);
                double seconds = clock.Elapsed.TotalSeconds;
                long? peak = cpu ? ProcessMemory.Peak() - start : null;
                row[$"{name}_seconds"] = Math.Round(seconds, 4);
                row[$"{name}_peak_bytes"] = peak;
            }
            row["speedup"] = Math.Round(row["explicit_seconds"]!.GetValue<double>() / row["sdpa_seconds"]!.GetValue<double>(), 3);
            rows.Add(row);
        }
        return rows;
    }

    private static void Step(Tensor q, Tensor k, Tensor v, bool fused)
    {
        using var scope = torch.NewDisposeScope();
        var o = fused ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true) : Models.AttentionContext.WrittenOutAttention(q, k, v, null);
        o.sum().backward();
        q.grad?.zero_(); k.grad?.zero_(); v.grad?.zero_();
    }
}
