using DslUnlearn.Metrics;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Engine;

/// <summary>
/// The evaluation every stage shares (evaluate, attack): each metric of the spec on each of its splits, kept as the
/// metric's own <see cref="MetricResult"/>: its aggregate (never recomputed from the per-sample values: truth ratio's
/// closer_to_1 is not the mean of R) and its per-sample values (none for aggregate-only metrics such as privleak).
/// </summary>
public static class MetricEvaluation
{
    /// <summary>Batch size of every evaluation forward pass; enters evaluation stage keys.</summary>
    public const int BatchSize = 32;

    /// <param name="context">The metric context for a split; the staged runner builds every context in one function.</param>
    public static List<MetricValues> Evaluate(IEnumerable<MetricSpec> metrics, Func<SplitKind, MetricContext> context)
    {
        var values = new List<MetricValues>();
        var cache = new EvaluationCache(); // one pass, one model state: metrics share forward passes and generations
        foreach (var m in metrics)
            foreach (var split in m.Splits)
                values.Add(MetricValues.From(m.Name, split, EvaluationProfile.Measure($"metric {m.Name}/{SpecNames.Of(split)}", () => m.Metric.Compute(context(split) with { Cache = cache }))));
        return values;
    }

    /// <summary>The progress line of one evaluation: "name  metric/split value ...".</summary>
    public static string Describe(string name, IEnumerable<MetricValues> values)
        => $"  {name,-10} " + string.Join("  ", values.Select(v => $"{v.Metric}/{SpecNames.Of(v.Split)} {v.AggValue:F3}"));
}
