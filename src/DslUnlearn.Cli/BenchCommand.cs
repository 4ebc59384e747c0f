using System.CommandLine;
using DslUnlearn.Bench;

namespace DslUnlearn.Cli;

/// <summary>`dslunlearn bench --out FILE`: throughput figures as one JSON object (see README, Benchmarks).</summary>
internal static class BenchCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--out") { Description = "Where to write the JSON results.", Required = true };
        var quick = new Option<bool>("--quick") { Description = "Tiny sizes (seconds; a smoke run, not a measurement)." };
        var tofu = new Option<string?>("--tofu") { Description = "TOFU folder for the tofu_forget01 figures (default: ../shared/data/tofu when present)." };
        var bench = new Command("bench", "Measure training, forward, ES (one pass vs bisection with generation), generation and matmul throughput on CPU.")
        {
            output, quick, tofu,
        };
        bench.SetAction(parse => Run(parse.GetValue(output)!, parse.GetValue(quick), parse.GetValue(tofu)));
        return bench;
    }

    private static int Run(string output, bool quick, string? tofu)
    {
        tofu ??= Path.Combine("..", "shared", "data", "tofu");
        if (!Directory.Exists(tofu))
        {
            Console.Error.WriteLine($"note: no TOFU folder at {Path.GetFullPath(tofu)}; skipping the tofu_forget01 figures.");
            tofu = null;
        }
        var options = (quick ? BenchOptions.Quick : new BenchOptions()) with { TofuFolder = tofu };
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = BenchRunner.Run(options, line => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {line}"));
            BenchRunner.Write(output, result);
            foreach (var key in new[] { "train_tokens_per_s", "forward_tokens_per_s", "es_exact_samples_per_s", "es_bisection_samples_per_s",
                         "es_exact_speedup_over_bisection", "es_exact_time_over_forward", "generate_uncached_tokens_per_s", "generate_cached_tokens_per_s", "matmul_gflops" })
                Console.WriteLine($"{key,-34} {result[key]?.ToJsonString() ?? "null"}");
            Console.WriteLine($"Written to {output}");
            return Commands.Ok;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
    }
}
