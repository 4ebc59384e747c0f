namespace DslUnlearn.Specs.Vocabulary;

/// <summary>The YAML spelling of enum values, for outputs that must read like the spec.</summary>
public static class SpecNames
{
    public static string Of(SplitKind s) => s.ToString().ToLowerInvariant();
}
