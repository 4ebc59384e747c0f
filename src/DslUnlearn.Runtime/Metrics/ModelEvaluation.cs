using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Metrics;

/// <summary>One metric on one split of one model, as the metric computed it.</summary>
/// <param name="Metric">The metric's YAML name.</param>
/// <param name="Values">Per-sample values (value_by_index); empty for aggregate-only metrics (forget_quality, privleak).</param>
/// <param name="AggValue">The metric's own aggregate (<see cref="MetricResult.AggValue"/>): what every table, plot and
/// results.json reports for this metric. It is not the mean of <paramref name="Values"/> in general (truth ratio, AUCs).</param>
public sealed record MetricValues(string Metric, SplitKind Split, IReadOnlyList<double> Values, double AggValue)
{
    public static MetricValues From(string metric, SplitKind split, MetricResult result) => new(metric, split, result.ValueByIndex ?? [], result.AggValue);
}

/// <summary>A row of the results: a model (untrained, target, or an unlearned one) and its metric values.</summary>
/// <param name="Kind">"untrained", "target" or "unlearned".</param>
/// <param name="Method">The unlearning method (yaml name) for unlearned models.</param>
public sealed record ModelEvaluation(string Name, string Kind, string? Method, IReadOnlyList<MetricValues> Metrics)
{
    public MetricValues? Get(string metric, SplitKind split) => Metrics.FirstOrDefault(m => m.Metric == metric && m.Split == split);
}
