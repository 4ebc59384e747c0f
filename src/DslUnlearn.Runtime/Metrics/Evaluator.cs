using DslUnlearn.Data;
using DslUnlearn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Metrics;

/// <summary>Per-sample ES (exact) and EM of a model on encoded QA pairs, in no-grad batched passes.</summary>
public static class Evaluator
{
    public sealed record Scores(double[] EsExact, double[] Em);

    public static Scores Evaluate(LlamaForCausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device)
    {
        var es = new List<double>(rows.Count);
        var em = new List<double>(rows.Count);
        bool wasTraining = model.training;
        model.eval();
        using (torch.no_grad())
        {
            for (int i = 0; i < rows.Count; i += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                using var batch = TokenBatch.Collate(rows.Skip(i).Take(batchSize).ToArray(), device);
                var logits = model.forward(batch.InputIds);
                var (bEs, bEm) = ExtractionStrength.FromLogits(logits, batch.Labels, batch.AnswerLengths);
                es.AddRange(bEs);
                em.AddRange(bEm);
            }
        }
        if (wasTraining) model.train();
        return new Scores(es.ToArray(), em.ToArray());
    }
}
