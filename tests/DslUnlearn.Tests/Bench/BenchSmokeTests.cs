using DslUnlearn.Bench;

namespace DslUnlearn.Tests.Bench;

public class BenchSmokeTests
{
    [Fact]
    public void Quick_bench_writes_every_key_with_positive_values_and_machine_facts()
    {
        using var dir = new TempDir();
        var result = BenchRunner.Run(BenchOptions.Quick);
        string path = Path.Combine(dir.Path, "bench.json");
        BenchRunner.Write(path, result);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        foreach (var key in new[] { "train_tokens_per_s", "forward_tokens_per_s", "es_exact_samples_per_s", "es_bisection_samples_per_s",
                     "generate_uncached_tokens_per_s", "generate_cached_tokens_per_s", "matmul_gflops", "es_exact_speedup_over_bisection" })
            Assert.True(root.GetProperty(key).GetDouble() > 0, key);
        // The KV-cache generator must produce exactly the reference decoder's tokens.
        Assert.True(root.GetProperty("generate_cached_matches_uncached").GetBoolean());
        Assert.True(root.GetProperty("es_bisection_matches_exact").GetBoolean());
        Assert.True(root.GetProperty("machine").GetProperty("logical_cores").GetInt32() > 0);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("machine").GetProperty("os").GetString()));
    }
}
