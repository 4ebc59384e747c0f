using DslUnlearn.Components;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Metrics;

/// <summary>
/// Which way a metric points: the one place every consumer asks (meta-evaluation faithfulness, knowledge filter and Q,
/// calibration's criterion). A metric is higher = more knowledge unless its instance says otherwise on the split
/// (<see cref="IMetric.LowerIsBetterOn"/>): by default its attribute's <see cref="MetricAttribute.LowerIsBetter"/> (nll,
/// perplexity); truth_ratio with the closer_to_1 aggregation (the default on forget) is lower-is-better too, since a model
/// that knows has R far below 1 and one that never saw the data has R near 1. Calibration refuses lower-is-better criteria
/// (the generator does too, at build time), and the robustness report's quantization score Q takes their reciprocal so that
/// "the attack brought knowledge back" means the same for every metric.
/// </summary>
public static class MetricDirection
{
    /// <summary>The attribute's facts for a metric name's default instance on <paramref name="split"/>; false for unknown names.</summary>
    public static bool LowerIsBetter(string metric, string split)
        => ComponentFacts.Metric(metric) is { } a && (a.LowerIsBetter || (split == SpecNames.Of(SplitKind.Forget) && a.LowerIsBetterOnForget));

    /// <summary>True when <paramref name="metric"/>'s attribute says lower means more knowledge.</summary>
    public static bool FromAttribute(IMetric metric) => ComponentFacts.Of<MetricAttribute>(metric)?.LowerIsBetter ?? false;

    /// <summary>True when this metric instance's values on <paramref name="split"/> are lower for more knowledge.</summary>
    public static bool LowerIsBetter(IMetric metric, string split) => metric.LowerIsBetterOn(split);
}
