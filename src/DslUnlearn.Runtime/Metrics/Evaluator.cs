using DslUnlearn.Data;
using DslUnlearn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Metrics;

/// <summary>Per-sample ES (exact) and EM of a model on encoded QA pairs, in no-grad batched passes.</summary>
public static class Evaluator
{
    public sealed record Scores(double[] EsExact, double[] Em);

    public static Scores Evaluate(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId)
    {
        var es = new List<double>(rows.Count);
        var em = new List<double>(rows.Count);
        var module = model.Module;
        bool wasTraining = module.training;
        module.eval();
        using (torch.no_grad())
        {
            for (int i = 0; i < rows.Count; i += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                using var batch = TokenBatch.Collate(rows.Skip(i).Take(batchSize).ToArray(), device, padId);
                var logits = model.Logits(batch.InputIds);
                var (bEs, bEm) = ExtractionStrength.FromLogits(logits, batch.Labels, batch.AnswerLengths);
                es.AddRange(bEs);
                em.AddRange(bEm);
            }
        }
        if (wasTraining) module.train();
        return new Scores(es.ToArray(), em.ToArray());
    }

    /// <summary>ES and EM of <paramref name="rows"/> on the context's model: from the context's evaluation cache when the
    /// pass already scored these rows (es_exact and em share one forward pass, and nll too), else as above.</summary>
    public static Scores Evaluate(MetricContext c, IReadOnlyList<EncodedQa> rows)
        => c.Cache is { } cache
            ? cache.EsEm(c.Model, rows, c.BatchSize, c.Device, c.Encoder.Tokenizer.PadId)
            : Evaluate(c.Model, rows, c.BatchSize, c.Device, c.Encoder.Tokenizer.PadId);
}
