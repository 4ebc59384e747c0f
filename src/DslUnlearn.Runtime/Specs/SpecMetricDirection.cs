using DslUnlearn.Metrics;

namespace DslUnlearn.Specs;

/// <summary>
/// A metric's direction as a spec configured it: the spec's own instance of the metric answers (<see cref="MetricDirection"/>
/// holds the rules). Here, not in Metrics, because the metrics layer sits below the spec records that hold its instances.
/// </summary>
public static class SpecMetricDirection
{
    /// <summary>
    /// The direction of <paramref name="metric"/> (a results key, i.e. the metric's YAML name) on <paramref name="split"/> as the
    /// spec configured it; a name the spec does not list (e.g. a pool's metric from older results) falls back to its attribute's facts.
    /// </summary>
    public static bool LowerIsBetter(ExperimentSpec spec, string metric, string split)
        => spec.Metrics.FirstOrDefault(m => m.Name == metric) is { } m ? m.Metric.LowerIsBetterOn(split) : MetricDirection.LowerIsBetter(metric, split);
}
