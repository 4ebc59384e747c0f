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
        var scale = new Option<bool>("--scale") { Description = "The scaling benchmark: memory and time of a fine-tuning step, an NPO step and an evaluation pass for Llama-3.2-1B-shaped models of 5M-400M parameters (docs/model-scale.md)." };
        var sizes = new Option<string?>("--sizes") { Description = "With --scale: comma-separated hidden sizes (default 256,512,768,1024,1280)." };
        var dtype = new Option<string>("--dtype") { Description = "With --scale: float32, bfloat16 or float16.", DefaultValueFactory = _ => "float32" };
        var device = new Option<string>("--device") { Description = "With --scale: cpu, cuda or auto.", DefaultValueFactory = _ => "cpu" };
        var bench = new Command("bench", "Measure training, forward, ES (one pass vs bisection with generation), generation and matmul throughput on CPU; with --scale, memory and time against model size.")
        {
            output, quick, tofu, scale, sizes, dtype, device,
        };
        bench.SetAction(parse => parse.GetValue(scale)
            ? RunScale(parse.GetValue(output)!, parse.GetValue(quick), parse.GetValue(sizes), parse.GetValue(dtype)!, parse.GetValue(device)!)
            : Run(parse.GetValue(output)!, parse.GetValue(quick), parse.GetValue(tofu)));
        return bench;
    }

    private static int RunScale(string output, bool quick, string? sizes, string dtype, string device)
    {
        try
        {
            var options = quick ? ScaleBenchOptions.Quick : new ScaleBenchOptions();
            if (sizes is not null)
                options = options with { Hiddens = sizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
                    int.TryParse(s, out int h) && h >= 64 && h % 64 == 0 ? h : throw new ArgumentException($"--sizes: '{s}' is not a hidden size (a multiple of 64, at least 64).")).ToArray() };
            var dt = Enum.TryParse<DslUnlearn.Specs.Vocabulary.ModelDtype>(dtype, ignoreCase: true, out var d) && !int.TryParse(dtype, out _)
                ? d : throw new ArgumentException($"--dtype: '{dtype}' is not float32, bfloat16 or float16.");
            var kind = Enum.TryParse<DslUnlearn.Specs.Vocabulary.DeviceKind>(device, ignoreCase: true, out var k) && !int.TryParse(device, out _)
                ? k : throw new ArgumentException($"--device: '{device}' is not cpu, cuda or auto.");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = ScaleBench.Run(options with { Dtype = dt }, DslUnlearn.Torch.DeviceResolver.Resolve(kind), line => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {line}"));
            result["wall_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
            BenchRunner.Write(output, result);
            Console.WriteLine($"{"hidden",6} {"params",10} {"ft B/p",7} {"ft ratio",8} {"ft tok/s",9} {"npo B/p",7} {"npo ratio",9} {"eval B/p",8} {"act B/tok",10} {"ckpt B/tok",10}");
            foreach (var s in result["sizes"]!.AsArray())
                Console.WriteLine($"{s!["hidden"],6} {s["parameters"],10} {s["finetune"]!["bytes_per_param"],7} {s["finetune"]!["memory_ratio"],8} {s["finetune"]!["tokens_per_s"],9} " +
                                  $"{s["npo"]!["bytes_per_param"],7} {s["npo"]!["memory_ratio"],9} {s["evaluate"]!["bytes_per_param"],8} {s["activations"]!["bytes_per_token"],10} {s["activations"]!["checkpointed_bytes_per_token"],10}");
            Console.WriteLine($"Written to {output}");
            return Commands.Ok;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
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
