using DslUnlearn.Data;
using DslUnlearn.Models;

namespace DslUnlearn.Metrics;

/// <summary>Per-sample ES (exact) and EM of a model on encoded QA pairs, in no-grad batched passes.</summary>
public static class Evaluator
{
    public sealed record Scores(double[] EsExact, double[] Em);

    /// <summary>ES and EM of each row, on the shared teacher-forced loop (<see cref="AnswerScorer.ForEachBatch"/>: its row
    /// and batch-size checks, eval mode and no-grad, the training mode restored even on an error).</summary>
    public static Scores Evaluate(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId)
    {
        var es = new double[rows.Count];
        var em = new double[rows.Count];
        AnswerScorer.ForEachBatch(model, rows, batchSize, device, padId, (logits, batch, _, start) =>
        {
            var (bEs, bEm) = ExtractionStrength.FromLogits(logits, batch.Labels, batch.AnswerLengths);
            bEs.CopyTo(es, start);
            bEm.CopyTo(em, start);
        });
        return new Scores(es, em);
    }

    /// <summary>ES and EM of <paramref name="rows"/> on the context's model: from the context's evaluation cache when the
    /// pass already scored these rows (es_exact and em share one forward pass, and nll too), else as above.</summary>
    public static Scores Evaluate(MetricContext c, IReadOnlyList<EncodedQa> rows)
        => c.Cache is { } cache
            ? cache.EsEm(c.Model, rows, c.BatchSize, c.Device, c.Encoder.Tokenizer.PadId)
            : Evaluate(c.Model, rows, c.BatchSize, c.Device, c.Encoder.Tokenizer.PadId);
}
