using System.Diagnostics;
using DslUnlearn.Data;
using DslUnlearn.Generation;
using DslUnlearn.Methods;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Torch;
using DslUnlearn.Training;

namespace DslUnlearn.Bench;

/// <summary>Sizes of `bench --scale`. The defaults fit a 24 GB, 2-core machine; <see cref="Quick"/> is for smoke tests.</summary>
public sealed record ScaleBenchOptions
{
    /// <summary>Hidden sizes; each gives a random model with Llama-3.2-1B's shape ratios (<see cref="ScaleBench.Shape"/>).</summary>
    public int[] Hiddens { get; init; } = [256, 512, 768, 1024, 1280];
    public int Batch { get; init; } = 2;
    /// <summary>Tokens per row of a training batch.</summary>
    public int SeqLen { get; init; } = 64;
    /// <summary>A second, shorter length: activation bytes per token is also the slope between the two.</summary>
    public int SlopeSeqLen { get; init; } = 32;
    public int PromptLen { get; init; } = 32;
    public int NewTokens { get; init; } = 16;
    public ModelDtype Dtype { get; init; } = ModelDtype.Float32;
    /// <summary>Also run NPO keeping the reference model (no precomputed log-probabilities), for its memory.</summary>
    public bool NpoWithReferenceModel { get; init; } = true;
    /// <summary>Sequence lengths of the attention comparison (fused SDPA vs written out); empty = skip it.</summary>
    public int[] AttentionLengths { get; init; } = [256, 512, 1024, 2048];
    public int Seed { get; init; }
    /// <summary>Also take one fine-tuning step apart (memory after forward, backward, clipping, optimizer step) with
    /// TorchSharp's AdamW and the runtime's: where the memory above the floor comes from.</summary>
    public bool StepProfile { get; init; } = true;

    public static ScaleBenchOptions Quick { get; } = new()
    {
        Hiddens = [64, 128], Batch = 2, SeqLen = 16, SlopeSeqLen = 8, PromptLen = 8, NewTokens = 4, AttentionLengths = [16, 32],
    };
}

/// <summary>
/// `dslunlearn bench --scale`: what a fine-tuning step, an NPO step with its reference and an evaluation pass with
/// generation cost in memory and time as a Llama-shaped model grows, against the theoretical minimum (weights,
/// gradients, AdamW moments, reference weights) plus measured activations. Memory is the process's peak resident
/// set (CPU). A benchmark, not a test: nothing here asserts a figure; the goals are reported as ratios.
/// </summary>
public static class ScaleBench
{
    public const int FormatVersion = 2;   // 2: step_profile, cpu_seconds; one held-reference NPO step; no checkpointed slope
    /// <summary>Peak memory may exceed the theoretical minimum plus activations by this factor (issue 13).</summary>
    public const double MemoryGoal = 1.3;

    /// <summary>
    /// A Llama-3.2-1B-shaped config at hidden size h: head_dim 64, kv_heads = heads / 4, intermediate = 4h,
    /// layers = h / 128, vocab = 62.625 h (128256 at h = 2048), tied embeddings, rope_theta 500000.
    /// h = 2048 is Llama-3.2-1B itself (1.236e9 parameters).
    /// </summary>
    public static LlamaConfig Shape(int hidden, int maxPositions = 2048)
    {
        int heads = Math.Max(2, hidden / 64);
        return new LlamaConfig((int)Math.Round(hidden * 128256.0 / 2048), hidden, Math.Max(1, hidden / 128), heads, Math.Max(1, heads / 4),
            4 * hidden, maxPositions, RopeTheta: 500000, TieWordEmbeddings: true).Validate();
    }

    /// <summary>Parameters of <see cref="Shape"/> without building it.</summary>
    public static long Parameters(LlamaConfig c)
    {
        long h = c.HiddenSize, kv = (long)c.NumKeyValueHeads * c.HeadDim, q = (long)c.NumAttentionHeads * c.HeadDim;
        long layer = h * q + 2 * h * kv + q * h + 3 * h * c.IntermediateSize + 2 * h;
        return c.NumHiddenLayers * layer + (long)c.VocabSize * h * (c.TieWordEmbeddings ? 1 : 2) + h;
    }

    /// <summary>Matmul FLOPs per token of one forward pass at context length <paramref name="context"/>: 2 N (N = the
    /// parameters that multiply, the head included, the embedding lookup not) + 2 L T h for attention.</summary>
    public static double ForwardFlopsPerToken(LlamaConfig c, int context)
    {
        long matmul = Parameters(c) - (c.TieWordEmbeddings ? 0 : (long)c.VocabSize * c.HiddenSize) - c.NumHiddenLayers * 2L * c.HiddenSize - c.HiddenSize;
        return 2.0 * matmul + 2.0 * c.NumHiddenLayers * context * (double)c.NumAttentionHeads * c.HeadDim;
    }

    public static JsonObject Run(ScaleBenchOptions o, Device? device = null, Action<string>? log = null)
    {
        log ??= _ => { };
        device ??= CPU;
        bool cpu = device.type == DeviceType.CPU;
        var compute = Precision.ScalarTypeOf(o.Dtype);
        var sizes = new JsonArray();
        var result = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["machine"] = BenchRunner.Machine(),
            ["config"] = new JsonObject
            {
                ["shape"] = "Llama-3.2-1B ratios: head_dim 64, kv_heads = heads/4, intermediate = 4h, layers = h/128, vocab = 62.625h, tied embeddings",
                ["batch"] = o.Batch, ["seq_len"] = o.SeqLen, ["slope_seq_len"] = o.SlopeSeqLen, ["prompt_len"] = o.PromptLen, ["new_tokens"] = o.NewTokens,
                ["dtype"] = Precision.Name(o.Dtype), ["device"] = device.type.ToString().ToLowerInvariant(), ["optimizer"] = "adamw",
                ["memory"] = cpu ? "peak resident set of the process (VmHWM, reset per phase) minus its resident set before the model existed" : "not measured on this device (TorchSharp exposes no CUDA allocator statistics; see bench/gpu-check.sh for nvidia-smi figures)",
                ["memory_goal"] = $"peak <= {MemoryGoal} x (theoretical minimum + measured activations)",
                ["time_goal"] = "tokens/s x FLOPs/token (achieved FLOP/s) does not fall as the model grows",
            },
            ["sizes"] = sizes,
        };
        double?[] firstAchieved = new double?[3];
        foreach (int hidden in o.Hiddens)
        {
            var config = Shape(hidden, Math.Max(o.SeqLen, o.PromptLen + o.NewTokens) + 8);
            log($"h={hidden}: {config.NumHiddenLayers} layers, vocab {config.VocabSize}, {Parameters(config) / 1e6:F1}M parameters ...");
            var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var size = Measure(config, o, device, compute, cpu, log);
            size["cpu_seconds"] = Round((Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds);
            // Achieved FLOP/s relative to the smallest size: >= 1 means tokens/s fell no faster than FLOPs/token grew.
            string[] phases = ["finetune", "npo", "evaluate"];
            for (int i = 0; i < phases.Length; i++)
            {
                var phase = size[phases[i]]!.AsObject();
                double achieved = phase["achieved_gflops"]!.GetValue<double>();
                firstAchieved[i] ??= achieved;
                phase["achieved_flops_vs_smallest"] = Round(achieved / firstAchieved[i]!.Value);
                phase["time_goal_met"] = achieved >= firstAchieved[i]!.Value * 0.999;
            }
            sizes.Add(size);
        }
        if (o.AttentionLengths.Length > 0)
        {
            log("attention: fused SDPA vs written out, forward + backward, 16 heads of 64 ...");
            result["attention"] = AttentionBench.Run(o.AttentionLengths, 16, 64, device);
        }
        // Load-independent cost: CPU seconds of the whole process (wall time on a shared machine depends on the load).
        result["cpu_seconds"] = Round(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
        return result;
    }

    private static JsonObject Measure(LlamaConfig config, ScaleBenchOptions o, Device device, ScalarType compute, bool cpu, Action<string> log)
    {
        int pad = 0;
        var rng = new SplitMix64((ulong)o.Seed + (ulong)config.HiddenSize);
        ProcessMemory.Settle();
        long? empty = cpu ? ProcessMemory.Rss() : null;
        torch.manual_seed(o.Seed);
        using var model = new LlamaForCausalLM(config, device);
        long parameters = model.parameters().Sum(p => p.numel());
        int w = Precision.Bytes(o.Dtype);
        var size = new JsonObject
        {
            ["hidden"] = config.HiddenSize, ["layers"] = config.NumHiddenLayers, ["heads"] = config.NumAttentionHeads,
            ["kv_heads"] = config.NumKeyValueHeads, ["intermediate"] = config.IntermediateSize, ["vocab"] = config.VocabSize,
            ["parameters"] = parameters,
            ["train_flops_per_token"] = 3 * ForwardFlopsPerToken(config, o.SeqLen),
            ["forward_flops_per_token"] = ForwardFlopsPerToken(config, o.SeqLen),
        };

        // Activations: forward + backward with the gradients already allocated, at two lengths, and checkpointed.
        log("  activations ...");
        var activations = new JsonObject();
        AllocateGradients(model);
        long? baseline = cpu ? Held(empty) : null;
        long? Act(int seq, bool checkpoint)
        {
            var rows = Rows(rng, o.Batch, seq, config.VocabSize);
            using var mixed = new MixedPrecision(model, compute);
            mixed.Compute.GradientCheckpointing = checkpoint;
            mixed.Train(true);
            ProcessMemory.ResetPeak();
            using (var scope = torch.NewDisposeScope())
            using (var batch = TokenBatch.Collate(rows, device, pad))
                CausalLmLoss.Nll(mixed.Compute, batch).backward();
            long? peak = cpu ? ProcessMemory.Peak() - empty - baseline : null;
            mixed.Train(false);
            mixed.Compute.GradientCheckpointing = false;
            return peak;
        }
        long? shortAct = Act(o.SlopeSeqLen, false), longAct = Act(o.SeqLen, false);
        // Checkpointed at one length only: at these short rows its slope was noise (docs/model-scale.md), and each pass costs.
        long? ckptAct = Act(o.SeqLen, true);
        long tokens = (long)o.Batch * o.SeqLen;
        activations["tokens"] = tokens;
        activations["bytes"] = longAct;
        activations["bytes_per_token"] = longAct is null ? null : Round((double)longAct / tokens);
        activations["bytes_per_token_slope"] = longAct is null || shortAct is null ? null : Round((double)(longAct - shortAct) / (o.Batch * (o.SeqLen - o.SlopeSeqLen)));
        activations["checkpointed_bytes"] = ckptAct;
        activations["checkpointed_bytes_per_token"] = ckptAct is null ? null : Round((double)ckptAct / tokens);
        activations["note"] = "bytes: peak of one forward + backward over the resident weights and gradients (includes the backward's gradient temporaries, e.g. the [vocab, hidden] embedding and head gradients); slope: the part that grows with tokens";
        size["activations"] = activations;
        ClearGradients(model);

        if (o.StepProfile)
        {
            log("  step profile ...");
            size["step_profile"] = StepProfile(model, Rows(rng, o.Batch, o.SeqLen, config.VocabSize), device, compute, cpu, empty, parameters);
            ClearGradients(model);
        }

        // One fine-tuning step (two measured: the first also allocates the AdamW moments).
        log("  finetune ...");
        var spec = new FinetuneSpec { Epochs = 1, Lr = 1e-5, BatchSize = o.Batch, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 1.0 };
        var ftRows = Rows(rng, 2 * o.Batch, o.SeqLen, config.VocabSize);
        size["finetune"] = Phase(cpu, empty, parameters, 2 * tokens, 3 * ForwardFlopsPerToken(config, o.SeqLen), 16, longAct, () =>
            Finetuner.Train(model, ftRows, spec, 1, device, NullProgressSink.Instance, "bench", pad, compute: compute));
        ClearGradients(model);

        // NPO: the reference's log-probabilities precomputed (the default), then, for comparison, the reference model held.
        log("  npo ...");
        var npo = new Npo(new NpoOptions { Lr = 1e-5, Steps = 2, BatchSize = o.Batch });
        var forget = Rows(rng, 2 * o.Batch, o.SeqLen, config.VocabSize);
        // Per step: the reference forward (precomputed), forward + backward, and the loop's post-step NLL forward.
        double npoFlops = (3 + 1 + 1) * ForwardFlopsPerToken(config, o.SeqLen);
        var npoPhase = Phase(cpu, empty, parameters, 2 * tokens, npoFlops, 16, longAct, () =>
            UnlearningLoop.Run(model, npo, forget, [], 1, device, NullProgressSink.Instance, "bench", pad, compute: compute));
        npoPhase["reference"] = "precomputed per-token log-probabilities; the reference model is freed before the first step";
        size["npo"] = npoPhase;
        ClearGradients(model);
        if (o.NpoWithReferenceModel)
        {
            // One step is enough for its memory (the AdamW moments exist from the optimizer's construction on).
            log("  npo, reference model held ...");
            var npoOneStep = new Npo(new NpoOptions { Lr = 1e-5, Steps = 1, BatchSize = o.Batch });
            var held = Phase(cpu, empty, parameters, tokens, npoFlops, 16 + w, longAct, () =>
                UnlearningLoop.Run(model, npoOneStep, forget, [], 1, device, NullProgressSink.Instance, "bench", pad, compute: compute, cacheReference: false));
            held["reference"] = $"frozen {Precision.Name(o.Dtype)} copy held through the run";
            size["npo_reference_held"] = held;
            ClearGradients(model);
        }

        // Evaluation: one scoring pass (ES, EM) over a batch and KV-cached greedy generation.
        log("  evaluate ...");
        using var evalModel = ModelPrecision.Cast(model.Clone(), compute);
        evalModel.Module.eval();
        var evalRows = Rows(rng, o.Batch, o.SeqLen, config.VocabSize);
        var prompts = Rows(rng, o.Batch, o.PromptLen, config.VocabSize).Select(r => r.Ids[..o.PromptLen]).ToArray();
        double genSeconds = 0;
        long evalTokens = tokens + (long)o.Batch * o.NewTokens;
        var evaluate = Phase(cpu, empty, parameters, evalTokens, ForwardFlopsPerToken(config, o.SeqLen), w, 0, () =>
        {
            Evaluator.Evaluate(evalModel, evalRows, o.Batch, device, pad);
            var clock = Stopwatch.StartNew();
            GreedyGenerator.Generate(evalModel, prompts, new Generation.GenerationOptions(o.NewTokens, EosId: null, PadId: pad, UseCache: true, BatchSize: o.Batch));
            genSeconds = clock.Elapsed.TotalSeconds;
        }, extraWeights: model);
        evaluate["generate_tokens_per_s"] = Round(o.Batch * o.NewTokens / genSeconds);
        evaluate["note"] = "bytes over the evaluated model only: the float32 master stays resident in the benchmark and is subtracted";
        size["evaluate"] = evaluate;
        return size;
    }

    /// <summary>Runs one phase under a fresh peak and reports time, tokens/s, peak bytes and the memory goal.</summary>
    private static JsonObject Phase(bool cpu, long? empty, long parameters, long tokens, double flopsPerToken, double minBytesPerParam,
        long? activations, Action run, ICausalLM? extraWeights = null)
    {
        ProcessMemory.ResetPeak();
        long? start = cpu ? ProcessMemory.Rss() : null;
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        run();
        double seconds = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        long? peak = cpu ? ProcessMemory.Peak() - empty : null;
        // The evaluation phase keeps the float32 master model of the benchmark resident; it is not the evaluation's.
        if (peak is not null && extraWeights is not null) peak -= extraWeights.Module.parameters().Sum(p => p.numel() * p.element_size());
        double tps = tokens / seconds;
        var phase = new JsonObject
        {
            ["tokens"] = tokens, ["seconds"] = Round(seconds), ["cpu_seconds"] = Round(cpuSeconds), ["tokens_per_s"] = Round(tps),
            ["achieved_gflops"] = Round(tps * flopsPerToken / 1e9),
            ["rss_at_start_bytes"] = start - empty,
            ["peak_bytes"] = peak,
            ["bytes_per_param"] = peak is null ? null : Round((double)peak / parameters),
            ["theoretical_min_bytes_per_param"] = minBytesPerParam,
        };
        if (peak is not null && activations is not null)
        {
            double floor = minBytesPerParam * parameters + activations.Value;
            phase["theoretical_min_plus_activations_bytes"] = (long)floor;
            phase["memory_ratio"] = Round(peak.Value / floor);
            phase["memory_goal_met"] = peak.Value <= MemoryGoal * floor;
        }
        return phase;
    }

    /// <summary>
    /// One fine-tuning step taken apart, with TorchSharp's AdamW and with the runtime's (<see cref="Training.AdamW"/>):
    /// resident memory after the forward, the backward, clipping and the optimizer step, and the peak within each,
    /// without trimming malloc between them (so what the allocator keeps is counted), then after a trim.
    /// </summary>
    private static JsonObject StepProfile(ICausalLM model, EncodedQa[] rows, Device device, ScalarType compute, bool cpu, long? empty, long parameters)
    {
        var result = new JsonObject
        {
            ["note"] = "bytes above the empty process; peak = the highest resident set within the phase; 'start' holds weights and AdamW moments (allocated when the optimizer is made)",
        };
        var makers = new (string Name, Func<TorchSharp.Modules.OptimizerHelper> Make)[]
        {
            ("torchsharp_adamw", () => optim.AdamW(model.Module.parameters(), lr: 1e-5, weight_decay: 0)),
            ("runtime_adamw", () => new Training.AdamW(model.Module.parameters(), 1e-5, 0)),
        };
        foreach (var (name, make) in makers)
        {
            foreach (var p in model.Module.parameters()) p.grad = null;
            using var optimizer = make();
            using var mixed = new MixedPrecision(model, compute);
            mixed.Train(true);
            var phases = new JsonObject();
            void Mark(string phase)
            {
                if (!cpu) return;
                long rss = ProcessMemory.Rss()!.Value - empty!.Value, peak = ProcessMemory.Peak()!.Value - empty.Value;
                phases[phase] = new JsonObject
                {
                    ["rss_bytes"] = rss, ["peak_bytes"] = peak,
                    ["rss_bytes_per_param"] = Round((double)rss / parameters), ["peak_bytes_per_param"] = Round((double)peak / parameters),
                };
                ProcessMemory.ResetPeak(settle: false);
            }
            ProcessMemory.ResetPeak();
            Mark("start");
            using (var scope = torch.NewDisposeScope())
            using (var batch = TokenBatch.Collate(rows, device, 0))
            {
                optimizer.zero_grad();
                var loss = CausalLmLoss.Nll(mixed.Compute, batch);
                Mark("forward");
                loss.backward();
                mixed.GradientsToMaster();
                Mark("backward");
                nn.utils.clip_grad_norm_(model.Module.parameters(), 1.0);
                Mark("clip");
                optimizer.step();
                mixed.MasterToCompute();
                Mark("optimizer_step");
            }
            Mark("step_done");
            ProcessMemory.Settle();
            Mark("after_malloc_trim");
            mixed.Train(false);
            result[name] = phases;
        }
        return result;
    }

    /// <summary>Resident bytes above <paramref name="empty"/> right now (after settling).</summary>
    private static long? Held(long? empty)
    {
        ProcessMemory.Settle();
        return ProcessMemory.Rss() - empty;
    }

    private static void AllocateGradients(ICausalLM model)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in model.Module.parameters())
        {
            using var g = torch.zeros_like(p);
            p.grad = g;
        }
    }

    private static void ClearGradients(ICausalLM model)
    {
        foreach (var p in model.Module.parameters()) p.grad = null;
        ProcessMemory.Settle();
    }

    /// <summary>Random rows: a quarter prompt, the rest answer (labelled), every id a real token.</summary>
    private static EncodedQa[] Rows(SplitMix64 rng, int count, int seq, int vocab)
    {
        var rows = new EncodedQa[count];
        for (int r = 0; r < count; r++)
        {
            var ids = new int[seq + 1];
            for (int i = 0; i < ids.Length; i++) ids[i] = 1 + rng.Next(vocab - 1);
            int prompt = Math.Max(1, seq / 4);
            rows[r] = new EncodedQa(ids, prompt, seq - prompt);
        }
        return rows;
    }

    private static double Round(double v) => Math.Round(v, v >= 100 ? 1 : 4);
}
