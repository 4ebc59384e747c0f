namespace DslUnlearn.Metrics;

/// <summary>
/// Which way a metric points. Every metric of the catalog is higher = more knowledge / better, except the
/// likelihood losses listed here. Calibration refuses these as its criterion (the generator does too, at build
/// time), and the robustness report's quantization score Q takes their reciprocal so that "the attack brought
/// knowledge back" means the same for every metric.
/// </summary>
public static class MetricDirection
{
    private static readonly HashSet<string> Lower = new(StringComparer.Ordinal) { "nll", "perplexity" };

    /// <summary>True for metrics where lower means more knowledge (nll, perplexity).</summary>
    public static bool LowerIsBetter(string metric) => Lower.Contains(metric);
}
