using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Pipeline;
using DslUnlearn.Specs;
using DslUnlearn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

/// <summary>
/// Step-based unlearning from the fine-tuned model, constant learning rate, AdamW without weight decay.
/// GA minimises -NLL(forget) (gradient ascent on the forget set);
/// GD minimises -NLL(forget) + retain_weight * NLL(retain) (gradient difference).
/// </summary>
public static class Unlearner
{
    public sealed record StepLog(int Step, double ForgetNll, double RetainNll);

    public static IReadOnlyList<StepLog> Run(LlamaForCausalLM model, IReadOnlyList<EncodedQa> forget, IReadOnlyList<EncodedQa> retain,
        UnlearnSpec spec, ulong seed, Device device, IProgressSink progress, string stage, CancellationToken cancel = default)
    {
        if (forget.Count == 0) throw new ArgumentException("The forget split is empty: nothing to unlearn.", nameof(forget));
        var forgetSampler = new BatchSampler(forget, spec.BatchSize, new SplitMix64(seed));
        var retainSampler = new BatchSampler(retain, spec.BatchSize, new SplitMix64(seed ^ 0xA5A5A5A5UL));
        bool useRetain = spec.Method == UnlearnMethodKind.Gd && retain.Count > 0;
        using var optimizer = optim.AdamW(model.parameters(), lr: spec.Lr, weight_decay: 0);
        model.train();
        progress.StageStarted(stage, spec.Steps);
        var log = new List<StepLog>(spec.Steps);
        for (int step = 0; step < spec.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            using var forgetBatch = TokenBatch.Collate(forgetSampler.NextBatch(), device);
            var forgetNll = CausalLmLoss.Nll(model, forgetBatch);
            var loss = -forgetNll;
            double retainValue = double.NaN;
            if (useRetain)
            {
                using var retainBatch = TokenBatch.Collate(retainSampler.NextBatch(), device);
                var retainNll = CausalLmLoss.Nll(model, retainBatch);
                loss = loss + spec.RetainWeight * retainNll;
                retainValue = retainNll.item<float>();
            }
            loss.backward();
            optimizer.step();
            log.Add(new StepLog(step + 1, forgetNll.item<float>(), retainValue));
            progress.StageAdvanced(stage, step + 1, $"forget NLL {log[^1].ForgetNll:F3}");
        }
        model.eval();
        progress.StageFinished(stage, $"forget NLL {log[^1].ForgetNll:F3}");
        return log;
    }
}
