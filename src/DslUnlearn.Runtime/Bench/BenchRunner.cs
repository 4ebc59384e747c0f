using System.Diagnostics;
using System.Runtime.InteropServices;
using DslUnlearn.Data;
using DslUnlearn.IO;
using DslUnlearn.Torch;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Text;

namespace DslUnlearn.Bench;

/// <summary>Sizes of the benchmark. The defaults are the configuration; <see cref="Quick"/> is for smoke tests.</summary>
public sealed record BenchOptions
{
    public int Layers { get; init; } = 4;
    public int Hidden { get; init; } = 256;
    public int Heads { get; init; } = 4;
    public int Intermediate { get; init; } = 688;
    public int Vocab { get; init; } = 4096;
    public int Batch { get; init; } = 16;
    public int SeqLen { get; init; } = 128;
    /// <summary>Timed repetitions of each measurement (after one untimed warm-up).</summary>
    public int Repeats { get; init; } = 3;
    /// <summary>Samples measured with the (slow) bisection-with-generation ES.</summary>
    public int BisectionSamples { get; init; } = 4;
    /// <summary>Prompts generated in one batch, and new tokens per prompt, for the generation figures.</summary>
    public int GenerateBatch { get; init; } = 4;
    public int GenerateNewTokens { get; init; } = 64;
    public int MatmulSize { get; init; } = 2048;
    /// <summary>Folder with TOFU's files; the tofu_forget01 section is written when forget01 is there.</summary>
    public string? TofuFolder { get; init; }
    public int TofuBisectionSamples { get; init; } = 2;
    public int Seed { get; init; }
    /// <summary>
    /// A KV-cached greedy generator (model, prompts, new tokens -> generated tokens) to time next to the uncached
    /// reference decoder; generate_cached_tokens_per_s is null without one.
    /// </summary>
    public Func<ICausalLM, IReadOnlyList<int[]>, int, int[][]>? CachedGenerator { get; init; } = KvCacheGenerator;

    /// <summary>The runtime's batched greedy generator with a KV cache (Generation/GreedyGenerator), no EOS stop.</summary>
    public static int[][] KvCacheGenerator(ICausalLM model, IReadOnlyList<int[]> prompts, int newTokens)
        => Generation.GreedyGenerator.Generate(model, prompts, new Generation.GenerationOptions(newTokens, EosId: null, UseCache: true, BatchSize: Math.Max(1, prompts.Count)))
            .Select(g => g.Tokens).ToArray();

    public static BenchOptions Quick { get; } = new()
    {
        Layers = 1, Hidden = 32, Heads = 2, Intermediate = 64, Vocab = 64, Batch = 2, SeqLen = 16, Repeats = 1,
        BisectionSamples = 1, GenerateBatch = 2, GenerateNewTokens = 4, MatmulSize = 64, TofuBisectionSamples = 1,
    };
}

/// <summary>
/// `dslunlearn bench`: throughput of training, the forward pass, one-pass ES, the official bisection ES,
/// generation and a large matmul, on a Llama-style model with random weights (speed does not depend on the
/// weights), plus the machine it ran on. A benchmark, not a test: nothing here asserts a speed.
/// </summary>
public static class BenchRunner
{
    public const int FormatVersion = 1;

    public static JsonObject Run(BenchOptions o, Action<string>? log = null)
    {
        log ??= _ => { };
        torch.manual_seed(o.Seed);
        var rng = new SplitMix64((ulong)o.Seed + 1);
        var result = new JsonObject { ["format_version"] = FormatVersion, ["machine"] = Machine() };
        var config = new LlamaConfig(o.Vocab, o.Hidden, o.Layers, o.Heads, o.Heads, o.Intermediate, o.SeqLen + o.GenerateNewTokens + 8).Validate();
        result["config"] = new JsonObject
        {
            ["model"] = $"llama-style, {o.Layers} layers, hidden {o.Hidden}, {o.Heads} heads, intermediate {o.Intermediate}, vocab {o.Vocab}",
            ["batch"] = o.Batch, ["seq_len"] = o.SeqLen, ["repeats"] = o.Repeats,
            ["bisection_samples"] = o.BisectionSamples, ["generate_batch"] = o.GenerateBatch, ["generate_new_tokens"] = o.GenerateNewTokens,
            ["matmul_size"] = o.MatmulSize, ["device"] = "cpu", ["dtype"] = "float32",
        };

        log($"matmul {o.MatmulSize}x{o.MatmulSize} fp32 ...");
        result["matmul_gflops"] = Round(MatmulGflops(o.MatmulSize, o.Repeats));

        using var model = new LlamaForCausalLM(config);
        result["parameters"] = model.parameters().Sum(p => p.numel());
        const int pad = 0, eos = 1;
        var ids = RandomIds(rng, o.Batch, o.SeqLen, o.Vocab);

        log($"forward {o.Batch}x{o.SeqLen} ...");
        double forward = TokensPerSecond(o.Batch * o.SeqLen, o.Repeats, () => Forward(model, ids, o.Batch, o.SeqLen));
        result["forward_tokens_per_s"] = Round(forward);

        log($"train step {o.Batch}x{o.SeqLen} ...");
        using (var clone = (LlamaForCausalLM)model.Clone())
            result["train_tokens_per_s"] = Round(TrainTokensPerSecond(clone, ids, o));

        // ES rows: prompt of half the sequence, answer = the model's greedy continuation with one token changed
        // (so k* falls inside the answer, as for a partly memorized sample). Generating those continuations is
        // the uncached-generation measurement.
        int promptLen = o.SeqLen / 2, answerLen = o.SeqLen - promptLen;
        var prompts = Enumerable.Range(0, o.Batch).Select(r => ids.Skip(r * o.SeqLen).Take(promptLen).Select(t => (int)t).ToArray()).ToArray();
        log($"uncached generation {o.GenerateBatch} x {o.GenerateNewTokens} new tokens ...");
        var genPrompts = prompts.Take(o.GenerateBatch).ToArray();
        var clock = Stopwatch.StartNew();
        var continuations = UncachedGenerate(model, genPrompts, o.GenerateNewTokens, pad);
        double uncachedSeconds = clock.Elapsed.TotalSeconds;
        result["generate_uncached_tokens_per_s"] = Round(genPrompts.Length * o.GenerateNewTokens / uncachedSeconds);
        if (o.CachedGenerator is { } cached)
        {
            log("cached generation ...");
            cached(model, genPrompts, o.GenerateNewTokens);                 // warm-up
            clock.Restart();
            var fast = cached(model, genPrompts, o.GenerateNewTokens);
            double cachedSeconds = clock.Elapsed.TotalSeconds;
            result["generate_cached_tokens_per_s"] = Round(genPrompts.Length * o.GenerateNewTokens / cachedSeconds);
            result["generate_cached_matches_uncached"] = fast.Zip(continuations).All(p => p.First.AsSpan().SequenceEqual(p.Second));
            // What the generating metrics gained (issue 10's goal: >= 20x): batched KV-cache generation of the metric batch
            // against the uncached decoder run one prompt at a time.
            log($"batched cached vs uncached one at a time, {o.Batch} prompts ...");
            clock.Restart();
            foreach (var p in prompts) UncachedGenerate(model, [p], o.GenerateNewTokens, pad);
            double oneByOne = clock.Elapsed.TotalSeconds;
            clock.Restart();
            cached(model, prompts, o.GenerateNewTokens);
            double batched = clock.Elapsed.TotalSeconds;
            result["generate_batched_cached_speedup_over_uncached_single"] = Round(oneByOne / batched);
            result["generate_cached_speedup_over_uncached"] = Round(uncachedSeconds / cachedSeconds);
        }
        else result["generate_cached_tokens_per_s"] = null;

        var rows = new EncodedQa[o.Batch];
        var answers = Generations.Greedy(model, prompts, answerLen, null, pad, o.Batch);
        for (int r = 0; r < o.Batch; r++)
        {
            var answer = answers[r].Select(t => t < 2 ? 2 : t).ToArray();
            answer[rng.Next(answer.Length)] = 2 + rng.Next(o.Vocab - 2);
            rows[r] = new EncodedQa([.. prompts[r], .. answer, eos], promptLen, answer.Length);
        }

        log($"ES exact, {o.Batch} samples per pass ...");
        double esExact = TokensPerSecond(o.Batch, o.Repeats, () => Evaluator.Evaluate(model, rows, o.Batch, CPU, pad));
        result["es_exact_samples_per_s"] = Round(esExact);
        result["es_exact_tokens_per_s"] = Round(esExact * o.SeqLen);

        log($"ES by bisection with generation, {o.BisectionSamples} samples ...");
        int bis = Math.Min(o.BisectionSamples, rows.Length);
        clock.Restart();
        var bisValues = GenerationEs.Bisection(model, rows.Take(bis).ToArray(), eos, pad, batchSize: 1);
        double bisection = bis / clock.Elapsed.TotalSeconds;
        result["es_bisection_samples_per_s"] = Round(bisection);
        var exactValues = Evaluator.Evaluate(model, rows.Take(bis).ToArray(), o.Batch, CPU, pad).EsExact;
        result["es_bisection_matches_exact"] = exactValues.SequenceEqual(bisValues);
        result["es_exact_speedup_over_bisection"] = Round(esExact / bisection);
        result["es_exact_time_over_forward"] = Round(forward / (esExact * o.SeqLen));

        if (o.TofuFolder is { } folder && File.Exists(Path.Combine(folder, "forget01_perturbed.json")))
        {
            log("TOFU forget01 with the tiny char-level model ...");
            result["tofu_forget01"] = Tofu(folder, o);
        }
        return result;
    }

    /// <summary>The uncached baseline: the same batched greedy generator recomputing the whole prefix at every step
    /// (what the generating metrics did before they used the KV cache).</summary>
    private static int[][] UncachedGenerate(ICausalLM model, IReadOnlyList<int[]> prompts, int newTokens, int pad)
        => Generation.GreedyGenerator.Generate(model, prompts, new Generation.GenerationOptions(newTokens, EosId: null, pad, UseCache: false, BatchSize: Math.Max(1, prompts.Count)))
            .Select(g => g.Tokens).ToArray();

    public static void Write(string path, JsonObject result)
        => AtomicFile.WriteText(path, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>The quickstart-sized Llama (hidden 128, 2 layers, 4 heads, char vocabulary) on TOFU's forget01 (40 pairs).</summary>
    private static JsonObject Tofu(string folder, BenchOptions o)
    {
        var examples = TofuData.LoadSplit(folder, "forget01");
        var encoder = new QaEncoder(new CharTokenizer(), new Specs.Vocabulary.PromptSpec { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " });
        var rows = encoder.EncodeAll(examples);
        int longest = rows.Max(r => r.Ids.Length);
        var config = new LlamaConfig(encoder.Tokenizer.VocabSize, 128, 2, 4, 4, 256, longest + o.GenerateNewTokens).Validate();
        torch.manual_seed(o.Seed);
        using var model = new LlamaForCausalLM(config);
        int pad = encoder.Tokenizer.PadId, batch = 16;
        long tokens = rows.Sum(r => (long)r.Ids.Length - 1);
        double seconds = Seconds(o.Repeats, () => Evaluator.Evaluate(model, rows, batch, CPU, pad));
        double forwardSeconds = Seconds(o.Repeats, () =>
        {
            for (int i = 0; i < rows.Length; i += batch)
            {
                using var scope = torch.NewDisposeScope();
                using var b = TokenBatch.Collate(rows.Skip(i).Take(batch).ToArray(), CPU, pad);
                using var _ = torch.no_grad();
                model.Logits(b.InputIds);
            }
        });
        int bis = Math.Min(o.TofuBisectionSamples, rows.Length);
        var clock = Stopwatch.StartNew();
        GenerationEs.Bisection(model, rows.Take(bis).ToArray(), encoder.Tokenizer.EosId, pad, batchSize: 1);
        double bisection = bis / clock.Elapsed.TotalSeconds;
        var prompts = rows.Take(o.GenerateBatch).Select(r => r.Ids[..r.PromptLength]).ToArray();
        clock.Restart();
        UncachedGenerate(model, prompts, o.GenerateNewTokens, pad);
        double gen = prompts.Length * o.GenerateNewTokens / clock.Elapsed.TotalSeconds;
        clock.Restart();
        Generations.Greedy(model, prompts, o.GenerateNewTokens, null, pad, prompts.Length);
        double genCached = prompts.Length * o.GenerateNewTokens / clock.Elapsed.TotalSeconds;
        return new JsonObject
        {
            ["model"] = "llama-style, 2 layers, hidden 128, 4 heads, char vocabulary (100), random weights",
            ["samples"] = rows.Length,
            ["mean_sequence_tokens"] = Round((double)tokens / rows.Length),
            ["mean_answer_tokens"] = Round(rows.Average(r => r.AnswerLength)),
            ["forward_tokens_per_s"] = Round(tokens / forwardSeconds),
            ["es_exact_samples_per_s"] = Round(rows.Length / seconds),
            ["es_bisection_samples_per_s"] = Round(bisection),
            ["es_bisection_samples"] = bis,
            ["es_exact_speedup_over_bisection"] = Round(rows.Length / seconds / bisection),
            ["generate_uncached_tokens_per_s"] = Round(gen),
            ["generate_cached_tokens_per_s"] = Round(genCached),
        };
    }

    internal static JsonObject Machine()
    {
        string? cpu = CpuKernels.CpuModel();
        double? load = null;
        try
        {
            if (File.Exists("/proc/loadavg"))
                load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException) { }
        return new JsonObject
        {
            // Other processes competing for the cores slow every figure alike; read the numbers with this in mind.
            ["load_average_1min_at_start"] = load,
            ["logical_cores"] = Environment.ProcessorCount,
            ["torch_threads"] = torch.get_num_threads(),
            ["cpu"] = cpu,
            ["cpu_avx512"] = CpuKernels.HasAvx512(),
            ["cpu_kernels"] = CpuKernels.Current.Description,
            ["os"] = RuntimeInformation.OSDescription,
            ["architecture"] = RuntimeInformation.OSArchitecture.ToString(),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString(),
            ["timestamp_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
    }

    private static double MatmulGflops(int n, int repeats)
    {
        using var a = torch.randn(n, n);
        using var b = torch.randn(n, n);
        double seconds = Seconds(Math.Max(repeats, 3), () =>
        {
            using var scope = torch.NewDisposeScope();
            Torch.SafeOps.MatMul(a, b, "bench matmul");
        });
        return 2.0 * n * n * n / seconds / 1e9;
    }

    private static void Forward(ICausalLM model, long[] ids, int batch, int seq)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        model.Logits(torch.tensor(ids, [batch, seq], dtype: int64));
    }

    private static double TrainTokensPerSecond(ICausalLM model, long[] ids, BenchOptions o)
    {
        model.Module.train();
        using var optimizer = new Training.AdamW(model.Module.parameters(), 1e-4, weightDecay: 0);
        using var input = torch.tensor(ids, [o.Batch, o.SeqLen], dtype: int64);
        using var labels = input.roll(-1, 1);
        return TokensPerSecond(o.Batch * o.SeqLen, o.Repeats, () =>
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.Logits(input);
            var loss = nn.functional.cross_entropy(logits.view(-1, o.Vocab), labels.view(-1));
            loss.backward();
            optimizer.step();
        });
    }

    private static long[] RandomIds(SplitMix64 rng, int batch, int seq, int vocab)
        => Enumerable.Range(0, batch * seq).Select(_ => (long)(2 + rng.Next(vocab - 2))).ToArray();

    private static double TokensPerSecond(long unitsPerCall, int repeats, Action call) => unitsPerCall / Seconds(repeats, call);

    /// <summary>Mean seconds per call over <paramref name="repeats"/> timed calls after one warm-up call.</summary>
    private static double Seconds(int repeats, Action call)
    {
        call();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) call();
        return clock.Elapsed.TotalSeconds / repeats;
    }

    private static double Round(double v) => Math.Round(v, v >= 100 ? 1 : 4);
}
