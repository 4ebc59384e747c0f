using DslUnlearn.Components;

namespace DslUnlearn.Metrics;

/// <summary>
/// Which way a metric points. Every metric is higher = more knowledge / better unless its attribute says
/// <see cref="MetricAttribute.LowerIsBetter"/> (nll, perplexity). Calibration refuses those as its criterion (the
/// generator does too, at build time), and the robustness report's quantization score Q takes their reciprocal so
/// that "the attack brought knowledge back" means the same for every metric.
/// </summary>
public static class MetricDirection
{
    /// <summary>True for metrics whose attribute says lower means more knowledge; false for unknown names.</summary>
    public static bool LowerIsBetter(string metric) => ComponentFacts.Metric(metric)?.LowerIsBetter ?? false;

    /// <summary>True when <paramref name="metric"/>'s attribute says lower means more knowledge.</summary>
    public static bool LowerIsBetter(IMetric metric) => ComponentFacts.Of<MetricAttribute>(metric)?.LowerIsBetter ?? false;
}
