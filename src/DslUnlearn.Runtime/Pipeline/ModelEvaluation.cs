using DslUnlearn.Specs;

namespace DslUnlearn.Pipeline;

/// <summary>Per-sample values of one metric on one split of one model.</summary>
/// <param name="Metric">The metric's YAML name.</param>
public sealed record MetricValues(string Metric, SplitKind Split, IReadOnlyList<double> Values)
{
    public double Mean => Values.Count == 0 ? double.NaN : Values.Average();
}

/// <summary>A row of the results: a model (untrained, target, or an unlearned one) and its metric values.</summary>
/// <param name="Kind">"untrained", "target" or "unlearned".</param>
/// <param name="Method">The unlearning method (yaml name) for unlearned models.</param>
public sealed record ModelEvaluation(string Name, string Kind, string? Method, IReadOnlyList<MetricValues> Metrics)
{
    public MetricValues? Get(string metric, SplitKind split) => Metrics.FirstOrDefault(m => m.Metric == metric && m.Split == split);
}
