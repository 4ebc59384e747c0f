using DslUnlearn.Specs;

namespace DslUnlearn.Pipeline;

/// <summary>The YAML spelling of enum values, for outputs that must read like the spec.</summary>
public static class SpecNames
{
    public static string Of(MetricKind m) => m switch { MetricKind.EsExact => "es_exact", MetricKind.Em => "em", _ => m.ToString().ToLowerInvariant() };
    public static string Of(SplitKind s) => s.ToString().ToLowerInvariant();
    public static string Of(UnlearnMethodKind m) => m.ToString().ToLowerInvariant();
}
