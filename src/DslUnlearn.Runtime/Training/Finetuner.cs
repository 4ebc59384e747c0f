using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Training;

/// <summary>Fine-tunes a causal LM on QA pairs (answer-only loss), AdamW with warm-up then cosine decay to 10%.</summary>
public static class Finetuner
{
    /// <returns>Mean training loss of the last epoch.</returns>
    /// <param name="checkpointer">Optional: restores a saved state first and checkpoints along the way (the
    /// artifact engine), so a killed run resumes bit-identically.</param>
    /// <param name="compute">The compute dtype (model.dtype); null = the model's own. 16-bit compute trains a
    /// 16-bit twin against <paramref name="model"/>'s float32 master weights (<see cref="MixedPrecision"/>).</param>
    public static double Train(ICausalLM model, IReadOnlyList<EncodedQa> rows, FinetuneSpec spec, ulong seed,
        Device device, IProgressSink progress, string stage, int padId, CancellationToken cancel = default,
        ITrainingCheckpointer? checkpointer = null, ScalarType? compute = null)
    {
        spec.Validate(stage); // ranges from FinetuneSpec's [Option]s, as the build checks YAML
        var rng = new SplitMix64(seed);
        var sampler = new BatchSampler(rows, spec.BatchSize, rng);
        int totalSteps = spec.Epochs * sampler.BatchesPerEpoch;
        using var optimizer = new AdamW(model.Module.parameters(), spec.Lr, spec.WeightDecay);
        using var mixed = new MixedPrecision(model, compute ?? ModelPrecision.DtypeOf(model));
        var net = mixed.Compute;
        bool checkpointing = net.GradientCheckpointing;
        net.GradientCheckpointing = spec.GradientCheckpointing;
        mixed.Train(true);
        progress.StageStarted(stage, spec.Epochs);
        int step = 0, startEpoch = 0, skip = 0;
        double lastEpochLoss = double.NaN, sum = 0;
        int batches = 0;
        if (checkpointer?.Restore(model.Module, optimizer) is { } saved)
        {
            // Resume mid-epoch: replay the epoch's shuffle from the RNG state it started with, skip the batches done.
            step = saved["step"]!.GetValue<int>();
            startEpoch = saved["epoch"]!.GetValue<int>();
            skip = saved["batch_in_epoch"]!.GetValue<int>();
            sum = LoopState.Double(saved["sum"]);
            batches = saved["batches"]!.GetValue<int>();
            lastEpochLoss = LoopState.Double(saved["last_epoch_loss"]);
            rng = new SplitMix64(LoopState.U64(saved["epoch_rng"]));
            sampler = new BatchSampler(rows, spec.BatchSize, rng);
            mixed.MasterToCompute();
            progress.StageAdvanced(stage, startEpoch, $"resumed at step {step}");
        }
        for (int epoch = startEpoch; epoch < spec.Epochs; epoch++)
        {
            ulong epochRng = rng.State;
            int inEpoch = 0;
            if (epoch != startEpoch || skip == 0) { sum = 0; batches = 0; }
            foreach (var rowsOfBatch in sampler.Epoch())
            {
                if (skip > 0) { skip--; inEpoch++; continue; }
                cancel.ThrowIfCancellationRequested();
                using (var scope = torch.NewDisposeScope())
                {
                    SetLr(optimizer, Schedule(spec, step++, totalSteps));
                    optimizer.zero_grad();
                    var loss = spec.LengthGroups > 1 ? CausalLmLoss.NllByLengthGroups(net, rowsOfBatch, spec.LengthGroups, device, padId) : PaddedNll(net, rowsOfBatch, device, padId);
                    loss.backward();
                    mixed.GradientsToMaster();
                    if (spec.MaxGradNorm > 0) nn.utils.clip_grad_norm_(model.Module.parameters(), spec.MaxGradNorm);
                    optimizer.step();
                    mixed.MasterToCompute();
                    sum += loss.item<float>();
                    batches++;
                    inEpoch++;
                }
                int e = epoch, b = inEpoch, st = step;
                double su = sum, le = lastEpochLoss;
                int ba = batches;
                checkpointer?.AfterStep(step, totalSteps, model, optimizer, () => new System.Text.Json.Nodes.JsonObject
                {
                    ["step"] = st, ["epoch"] = e, ["batch_in_epoch"] = b, ["epoch_rng"] = LoopState.U64(epochRng),
                    ["sum"] = LoopState.Bits(su), ["batches"] = ba, ["last_epoch_loss"] = LoopState.Bits(le),
                });
            }
            lastEpochLoss = sum / batches;
            progress.StageAdvanced(stage, epoch + 1, $"loss {lastEpochLoss:F4}");
        }
        mixed.Train(false);
        net.GradientCheckpointing = checkpointing;
        progress.StageFinished(stage, $"final epoch loss {lastEpochLoss:F4}");
        return lastEpochLoss;
    }

    /// <summary>
    /// The oracle (retain) model: the same fine-tuning, on the retain split only, so it never saw the forget
    /// set. Start it from a freshly initialised model with the target's seed to compare like with like.
    /// </summary>
    /// <returns>Mean training loss of the last epoch.</returns>
    public static double TrainOracle(ICausalLM model, IReadOnlyList<EncodedQa> retain, FinetuneSpec spec, ulong seed,
        Device device, IProgressSink progress, int padId, string stage = "finetune oracle", CancellationToken cancel = default,
        ITrainingCheckpointer? checkpointer = null, ScalarType? compute = null)
    {
        if (retain.Count == 0) throw new ArgumentException("The oracle model is fine-tuned on the retain split, and it is empty; give the data fewer forget authors.", nameof(retain));
        return Train(model, retain, spec, seed, device, progress, stage, padId, cancel, checkpointer, compute);
    }

    private static Tensor PaddedNll(ICausalLM net, EncodedQa[] rows, Device device, int padId)
    {
        using var batch = TokenBatch.Collate(rows, device, padId);
        return CausalLmLoss.Nll(net, batch);
    }

    internal static double Schedule(FinetuneSpec spec, int step, int totalSteps)
    {
        // warmup_steps may be "1 epoch" or "10%": resolved against this run's steps per epoch and total.
        int warmup = spec.WarmupSteps.Resolve(totalSteps / Math.Max(1, spec.Epochs), totalSteps);
        if (warmup > 0 && step < warmup) return spec.Lr * (step + 1) / warmup;
        double progress = totalSteps <= warmup ? 1 : (double)(step - warmup) / (totalSteps - warmup);
        return spec.Lr * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    internal static void SetLr(TorchSharp.Modules.OptimizerHelper optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }
}
