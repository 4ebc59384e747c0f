namespace DslUnlearn.Components;

/// <summary>The one check and message for a string option that takes one of a fixed list of values.</summary>
public static class OptionChoice
{
    /// <summary>Throws "&lt;who&gt;: unknown &lt;option&gt; 'v'; use one of a, b." unless <paramref name="value"/> is in <paramref name="allowed"/>.</summary>
    public static void Require(string who, string option, string value, IReadOnlyList<string> allowed)
    {
        if (!allowed.Contains(value))
            throw new ArgumentException($"{who}: unknown {option} '{value}'; use one of {string.Join(", ", allowed)}.", "options");
    }
}
