using DslUnlearn.Bench;

namespace DslUnlearn.Tests.Bench;

/// <summary>The scale benchmark reads the process's resident memory, which tests running beside it would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMemoryCollection
{
    public const string Name = "process memory (serial)";
}

[Collection(ProcessMemoryCollection.Name)]
public class ScaleBenchTests
{
    [Fact]
    public void The_shape_at_hidden_2048_is_llama_3_2_1b()
    {
        var c = ScaleBench.Shape(2048, 131072);
        Assert.Equal((128256, 16, 32, 8, 8192, 64, true), (c.VocabSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.IntermediateSize, c.HeadDim, c.TieWordEmbeddings));
        Assert.Equal(1_235_814_400L, ScaleBench.Parameters(c)); // Hugging Face's count for meta-llama/Llama-3.2-1B
        using var meta = new LlamaForCausalLM(c, torch.device("meta"));
        Assert.Equal(ScaleBench.Parameters(c), meta.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Quick_scale_bench_reports_every_phase_with_memory_against_the_floor()
    {
        var result = ScaleBench.Run(ScaleBenchOptions.Quick with { NpoWithReferenceModel = false });
        var sizes = result["sizes"]!.AsArray();
        Assert.Equal(2, sizes.Count);
        foreach (var s in sizes)
        {
            long parameters = s!["parameters"]!.GetValue<long>();
            Assert.Equal(ScaleBench.Parameters(ScaleBench.Shape(s["hidden"]!.GetValue<int>())), parameters);
            foreach (var phase in new[] { "finetune", "npo", "evaluate" })
            {
                var p = s[phase]!;
                Assert.True(p["tokens_per_s"]!.GetValue<double>() > 0, phase);
                if (!ProcessMemory.Available) continue;
                // Figures only (a test process's resident set moves with everything else it runs): present, not judged.
                Assert.NotNull(p["bytes_per_param"]);
                Assert.NotNull(p["memory_ratio"]);
            }
            Assert.Equal(16, s["finetune"]!["theoretical_min_bytes_per_param"]!.GetValue<double>());
            if (ProcessMemory.Available) Assert.NotNull(s["activations"]!["bytes"]);
            Assert.True(s["cpu_seconds"]!.GetValue<double>() > 0);
            // The step taken apart, with both optimizers, every phase in order.
            foreach (var optimizer in new[] { "torchsharp_adamw", "runtime_adamw" })
            {
                var phases = s["step_profile"]![optimizer]!.AsObject();
                if (!ProcessMemory.Available) continue;
                Assert.Equal(["start", "forward", "backward", "clip", "optimizer_step", "step_done", "after_malloc_trim"], phases.Select(kv => kv.Key).ToArray());
                Assert.All(phases, kv => Assert.True(kv.Value!["peak_bytes"]!.GetValue<long>() >= kv.Value["rss_bytes"]!.GetValue<long>(), kv.Key));
            }
        }
        Assert.True(result["cpu_seconds"]!.GetValue<double>() > 0);
    }
}
