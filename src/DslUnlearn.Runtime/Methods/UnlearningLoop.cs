using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Text;
using DslUnlearn.Training;
using TorchSharp.Modules;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

/// <summary>
/// The one training loop all unlearning methods share: seeded batches from the forget (and retain)
/// split, optional gradient accumulation, linear warm-up then a constant learning rate, AdamW or SGD,
/// optional clipping, one loss per micro-batch from the method, and checkpoints handed to an observer.
/// With default options it is the original loop: AdamW without weight decay, constant lr, no clipping.
/// </summary>
public static class UnlearningLoop
{
    public sealed record StepLog(int Step, double Loss, double ForgetNll, double RetainNll);

    /// <param name="seed">Batch-order seed; the method's <c>seed_offset</c> is added to it.</param>
    /// <param name="tokenizer">The run's tokenizer; methods that substitute answers (IdK, DPO) need it.</param>
    /// <param name="onCheckpoint">Called with (optimizer steps done, model) every <c>checkpoint_every</c> steps and
    /// after the last step, outside any dispose scope of the loop and with the model in eval mode (training
    /// resumes afterwards). The model keeps changing after the call: clone it to keep a copy. Never writes files.
    /// With 16-bit compute it is the 16-bit compute model.</param>
    /// <param name="compute">The compute dtype (model.dtype); null = the model's own. 16-bit compute trains a 16-bit
    /// twin against <paramref name="model"/>'s float32 master weights, and the reference is a 16-bit frozen copy.</param>
    public static IReadOnlyList<StepLog> Run(ICausalLM model, IUnlearningMethod method, IReadOnlyList<EncodedQa> forget,
        IReadOnlyList<EncodedQa> retain, ulong seed, Device device, IProgressSink progress, string stage, int padId,
        CancellationToken cancel = default, ITokenizer? tokenizer = null, Action<int, ICausalLM>? onCheckpoint = null,
        ITrainingCheckpointer? checkpointer = null, ScalarType? compute = null, bool cacheReference = true)
    {
        var o = method.Options;
        o.Validate(MethodName(method));
        if (forget.Count == 0) throw new ArgumentException("The forget split is empty: nothing to unlearn.", nameof(forget));
        if (method.NeedsRetain && retain.Count == 0) throw new ArgumentException("This method needs a retain split, and it is empty.", nameof(retain));
        ulong runSeed = seed + (ulong)o.SeedOffset;
        var forgetSampler = new BatchSampler(forget, o.BatchSize, new SplitMix64(runSeed));
        var retainSampler = new BatchSampler(retain, o.BatchSize, new SplitMix64(runSeed ^ 0xA5A5A5A5UL));
        using var mixed = new MixedPrecision(model, compute ?? ModelPrecision.DtypeOf(model));
        var net = mixed.Compute;
        ICausalLM? reference = method.NeedsReference ? FrozenCopy(net) : null;
        ReferenceLogProbs? referenceCache = null;
        try
        {
            var module = model.Module;
            var parameters = module.parameters().Where(p => p.requires_grad).ToArray();
            using var optimizer = MakeOptimizer(o, parameters);
            bool checkpointing = net.GradientCheckpointing;
            net.GradientCheckpointing = o.GradientCheckpointing;
            int steps = o.TotalSteps(forget.Count);
            int checkpointEvery = o.ResolvedCheckpointEvery(forget.Count);
            int warmup = o.ResolvedWarmupSteps(forget.Count);
            mixed.Train(true);
            progress.StageStarted(stage, steps);
            var log = new List<StepLog>(steps);
            int start = 0;
            // The reference copy above is taken before a restore, so it is the original model either way.
            if (checkpointer?.Restore(module, optimizer) is { } saved)
            {
                start = saved["step"]!.GetValue<int>();
                forgetSampler = BatchSampler.Restore(forget, o.BatchSize, ReadSampler(saved["forget"]!));
                retainSampler = BatchSampler.Restore(retain, o.BatchSize, ReadSampler(saved["retain"]!));
                foreach (var e in saved["log"]!.AsArray())
                    log.Add(new StepLog(e!["step"]!.GetValue<int>(), LoopState.Double(e["loss"]), LoopState.Double(e["forget_nll"]), LoopState.Double(e["retain_nll"])));
                mixed.MasterToCompute();
                progress.StageAdvanced(stage, start, $"resumed at step {start}");
            }
            if (reference is not null && cacheReference && method.ReferenceOnlyOnForget)
            {
                // Only per-token NLLs on forget batches are needed: compute them for every batch still to come, free the model.
                var replay = BatchSampler.Restore(forget, o.BatchSize, forgetSampler.Save());
                referenceCache = ReferenceLogProbs.Precompute(reference, replay, (steps - start) * o.GradientAccumulation, device, padId, o.ForgetTemperature,
                    (i, rows) => method.ReferenceBatches(rows, start + i / o.GradientAccumulation, tokenizer, device));
                reference.Dispose();
                reference = null;
            }
            for (int step = start; step < steps; step++)
            {
                cancel.ThrowIfCancellationRequested();
                log.Add(OneStep(mixed, method, reference, referenceCache, forgetSampler, retainSampler, optimizer, parameters, step, warmup, device, padId, tokenizer));
                progress.StageAdvanced(stage, step + 1, $"forget NLL {log[^1].ForgetNll:F3}");
                if (onCheckpoint is not null && checkpointEvery > 0 && ((step + 1) % checkpointEvery == 0 || step + 1 == steps))
                {
                    mixed.Train(false);
                    onCheckpoint(step + 1, net);
                    mixed.Train(true);
                }
                checkpointer?.AfterStep(step + 1, steps, model, optimizer, () => new System.Text.Json.Nodes.JsonObject
                {
                    ["step"] = log.Count,
                    ["forget"] = WriteSampler(forgetSampler.Save()),
                    ["retain"] = WriteSampler(retainSampler.Save()),
                    ["log"] = new System.Text.Json.Nodes.JsonArray(log.Select(l => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject
                    {
                        ["step"] = l.Step, ["loss"] = LoopState.Bits(l.Loss),
                        ["forget_nll"] = LoopState.Bits(l.ForgetNll), ["retain_nll"] = LoopState.Bits(l.RetainNll),
                    }).ToArray()),
                });
            }
            mixed.Train(false);
            net.GradientCheckpointing = checkpointing;
            progress.StageFinished(stage, $"forget NLL {log[^1].ForgetNll:F3}");
            return log;
        }
        finally
        {
            reference?.Dispose();
            referenceCache?.Dispose();
        }
    }

    private static StepLog OneStep(MixedPrecision mixed, IUnlearningMethod method, ICausalLM? reference, ReferenceLogProbs? referenceCache, BatchSampler forgetSampler,
        BatchSampler retainSampler, OptimizerHelper optimizer, Parameter[] parameters, int step, int warmup, Device device, int padId, ITokenizer? tokenizer)
    {
        var o = method.Options;
        var model = mixed.Compute;
        using var scope = torch.NewDisposeScope();
        if (warmup > 0) SetLr(optimizer, LearningRate(o.Lr, warmup, step));
        optimizer.zero_grad();
        double lossSum = 0;
        TokenBatch? forgetBatch = null, retainBatch = null;
        for (int micro = 0; micro < o.GradientAccumulation; micro++)
        {
            // Batches are created inside this step's scope, which disposes their tensors.
            var rows = forgetSampler.NextBatch();
            forgetBatch = TokenBatch.Collate(rows, device, padId);
            retainBatch = method.NeedsRetain ? TokenBatch.Collate(retainSampler.NextBatch(), device, padId) : null;
            var loss = method.Loss(new UnlearnStep(model, reference, forgetBatch, retainBatch, step) { ForgetRows = rows, Tokenizer = tokenizer, ReferenceCache = referenceCache });
            if (loss.numel() != 1)
                throw new InvalidOperationException($"Method '{MethodName(method)}' returned a loss of shape [{string.Join(", ", loss.shape)}]; a loss must be a scalar.");
            (o.GradientAccumulation == 1 ? loss : loss.Over(o.GradientAccumulation)).backward();
            lossSum += loss.item<float>();
        }
        mixed.GradientsToMaster();
        if (o.MaxGradNorm > 0) nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm);
        optimizer.step();
        mixed.MasterToCompute();
        double forgetNll, retainNll = double.NaN;
        using (torch.no_grad())
        {
            // Post-update NLL on the last micro-batch: one extra no-grad pass, method-independent.
            forgetNll = CausalLmLoss.Nll(model, forgetBatch!).item<float>();
            if (retainBatch is not null) retainNll = CausalLmLoss.Nll(model, retainBatch).item<float>();
        }
        return new StepLog(step + 1, lossSum / o.GradientAccumulation, forgetNll, retainNll);
    }

    /// <summary>Learning rate at optimizer step <paramref name="step"/> (0-based): linear warm-up over warmup_steps, then constant.
    /// A warm-up in epochs or percent needs the split size: use the overload with the resolved warm-up.</summary>
    public static double LearningRate(UnlearnOptions o, int step)
        => LearningRate(o.Lr, o.WarmupSteps.Resolve(stepsPerEpoch: 1), step);

    /// <summary>Learning rate at optimizer step <paramref name="step"/> (0-based) for a warm-up of <paramref name="warmup"/> resolved steps.</summary>
    public static double LearningRate(double lr, int warmup, int step)
        => warmup > 0 && step < warmup ? lr * (step + 1) / warmup : lr;

    private static OptimizerHelper MakeOptimizer(UnlearnOptions o, IEnumerable<Parameter> parameters) => o.Optimizer switch
    {
        OptimizerKind.Adamw => new Training.AdamW(parameters, o.Lr, o.WeightDecay),
        OptimizerKind.Sgd => optim.SGD(parameters, o.Lr, weight_decay: o.WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(o), o.Optimizer, "optimizer must be adamw or sgd."),
    };

    private static void SetLr(OptimizerHelper optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }

    /// <summary>The YAML name of a method (its [UnlearningMethod] attribute), or its type name.</summary>
    public static string MethodName(IUnlearningMethod method)
        => method.GetType().GetCustomAttributes(typeof(Components.UnlearningMethodAttribute), false)
               .OfType<Components.UnlearningMethodAttribute>().FirstOrDefault()?.Name ?? method.GetType().Name;

    private static System.Text.Json.Nodes.JsonObject WriteSampler(BatchSampler.State s) => new()
    {
        ["rng"] = LoopState.U64(s.Rng), ["order"] = LoopState.Ints(s.Order), ["cursor"] = s.Cursor,
    };

    private static BatchSampler.State ReadSampler(System.Text.Json.Nodes.JsonNode n)
        => new(LoopState.U64(n["rng"]), LoopState.Ints(n["order"]), n["cursor"]!.GetValue<int>());

    /// <summary>
    /// A frozen copy of <paramref name="model"/>: same weights, no parameter requires grad, eval mode. The
    /// caller owns it and must dispose it (the loop does, with <c>using</c>, when the run ends or throws).
    /// </summary>
    public static ICausalLM FrozenCopy(ICausalLM model)
    {
        var copy = model.Clone();
        try
        {
            foreach (var p in copy.Module.parameters()) p.requires_grad = false;
            copy.Module.eval();
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }
}
