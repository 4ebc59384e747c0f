using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Pipeline;
using DslUnlearn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

/// <summary>
/// The one training loop all unlearning methods share: seeded batches from the forget (and retain)
/// split, constant learning rate, AdamW without weight decay, one loss per step from the method.
/// </summary>
public static class UnlearningLoop
{
    public sealed record StepLog(int Step, double Loss, double ForgetNll, double RetainNll);

    public static IReadOnlyList<StepLog> Run(ICausalLM model, IUnlearningMethod method, IReadOnlyList<EncodedQa> forget,
        IReadOnlyList<EncodedQa> retain, ulong seed, Device device, IProgressSink progress, string stage, int padId,
        CancellationToken cancel = default, Engine.ITrainingCheckpointer? checkpointer = null)
    {
        var o = method.Options;
        if (forget.Count == 0) throw new ArgumentException("The forget split is empty: nothing to unlearn.", nameof(forget));
        if (method.NeedsRetain && retain.Count == 0) throw new ArgumentException("This method needs a retain split, and it is empty.", nameof(retain));
        var forgetSampler = new BatchSampler(forget, o.BatchSize, new SplitMix64(seed));
        var retainSampler = new BatchSampler(retain, o.BatchSize, new SplitMix64(seed ^ 0xA5A5A5A5UL));
        using var reference = method.NeedsReference ? FrozenCopy(model) : null;
        var module = model.Module;
        using var optimizer = optim.AdamW(module.parameters(), lr: o.Lr, weight_decay: 0);
        module.train();
        progress.StageStarted(stage, o.Steps);
        var log = new List<StepLog>(o.Steps);
        int start = 0;
        // The reference copy above is taken before a restore, so it is the original model either way.
        if (checkpointer?.Restore(module, optimizer) is { } saved)
        {
            start = saved["step"]!.GetValue<int>();
            forgetSampler = BatchSampler.Restore(forget, o.BatchSize, ReadSampler(saved["forget"]!));
            retainSampler = BatchSampler.Restore(retain, o.BatchSize, ReadSampler(saved["retain"]!));
            foreach (var e in saved["log"]!.AsArray())
                log.Add(new StepLog(e!["step"]!.GetValue<int>(), Engine.LoopState.Double(e["loss"]), Engine.LoopState.Double(e["forget_nll"]), Engine.LoopState.Double(e["retain_nll"])));
            progress.StageAdvanced(stage, start, $"resumed at step {start}");
        }
        for (int step = start; step < o.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            using var forgetBatch = TokenBatch.Collate(forgetSampler.NextBatch(), device, padId);
            using var retainBatch = method.NeedsRetain ? TokenBatch.Collate(retainSampler.NextBatch(), device, padId) : null;
            var loss = method.Loss(new UnlearnStep(model, reference, forgetBatch, retainBatch, step));
            loss.backward();
            optimizer.step();
            double forgetNll, retainNll = double.NaN;
            using (torch.no_grad())
            {
                // Post-update NLL on the same batch: one extra no-grad pass, method-independent.
                forgetNll = CausalLmLoss.Nll(model, forgetBatch).item<float>();
                if (retainBatch is not null) retainNll = CausalLmLoss.Nll(model, retainBatch).item<float>();
            }
            log.Add(new StepLog(step + 1, loss.item<float>(), forgetNll, retainNll));
            progress.StageAdvanced(stage, step + 1, $"forget NLL {forgetNll:F3}");
            checkpointer?.AfterStep(step + 1, o.Steps, model, optimizer, () => new System.Text.Json.Nodes.JsonObject
            {
                ["step"] = log.Count,
                ["forget"] = WriteSampler(forgetSampler.Save()),
                ["retain"] = WriteSampler(retainSampler.Save()),
                ["log"] = new System.Text.Json.Nodes.JsonArray(log.Select(l => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject
                {
                    ["step"] = l.Step, ["loss"] = Engine.LoopState.Bits(l.Loss),
                    ["forget_nll"] = Engine.LoopState.Bits(l.ForgetNll), ["retain_nll"] = Engine.LoopState.Bits(l.RetainNll),
                }).ToArray()),
            });
        }
        module.eval();
        progress.StageFinished(stage, $"forget NLL {log[^1].ForgetNll:F3}");
        return log;
    }

    private static System.Text.Json.Nodes.JsonObject WriteSampler(BatchSampler.State s) => new()
    {
        ["rng"] = Engine.LoopState.U64(s.Rng), ["order"] = Engine.LoopState.Ints(s.Order), ["cursor"] = s.Cursor,
    };

    private static BatchSampler.State ReadSampler(System.Text.Json.Nodes.JsonNode n)
        => new(Engine.LoopState.U64(n["rng"]), Engine.LoopState.Ints(n["order"]), n["cursor"]!.GetValue<int>());

    private static ICausalLM FrozenCopy(ICausalLM model)
    {
        var copy = model.Clone();
        foreach (var p in copy.Module.parameters()) p.requires_grad = false;
        copy.Module.eval();
        return copy;
    }
}
