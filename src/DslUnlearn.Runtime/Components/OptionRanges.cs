using System.Reflection;

namespace DslUnlearn.Components;

/// <summary>
/// Run-time check of the ranges an options record declares with <c>[Option(Min = ..., Max = ...)]</c>: the same
/// declaration the source generator reads at build time, so a number lives in one place and a spec written in C#
/// gets the build's message ("'lr' must be &gt; 0, got 0; set it to a value &gt; 0"). Step counts check themselves
/// (<see cref="Specs.Vocabulary.StepCount.Problem"/>); other option types have no range.
/// </summary>
public static class OptionRanges
{
    /// <summary>One message per property of <paramref name="options"/> outside its declared range.</summary>
    public static IReadOnlyList<string> Problems(object options)
    {
        var problems = new List<string>();
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<OptionAttribute>(inherit: true) is not { } option || (double.IsNaN(option.Min) && double.IsNaN(option.Max)))
            {
                continue;
            }

            double? value = property.GetValue(options) switch
            {
                int i => i,
                long l => l,
                double d => d,
                float f => f,
                _ => null,
            };
            if (value is { } v && !Contains(option, v))
            {
                var range = Describe(option);
                problems.Add($"'{option.Key ?? OptionKeyNames.SnakeCase(property.Name)}' must be {range}, got {Format(v)}; set it to a value {range}");
            }
        }

        return problems;
    }

    /// <summary>Whether <paramref name="value"/> is finite and inside the option's range (NaN bounds are open).</summary>
    public static bool Contains(OptionAttribute option, double value)
        => double.IsFinite(value)
            && (double.IsNaN(option.Min) || (option.MinExclusive ? value > option.Min : value >= option.Min))
            && (double.IsNaN(option.Max) || value <= option.Max);

    /// <summary>The range as the generator's diagnostics word it: "in 2..1000", "&gt; 0 and &lt;= 1", "&gt;= 1", "&gt; 0".</summary>
    public static string Describe(OptionAttribute option)
    {
        bool hasMin = !double.IsNaN(option.Min), hasMax = !double.IsNaN(option.Max);
        if (hasMin && hasMax)
        {
            return option.MinExclusive ? $"> {Format(option.Min)} and <= {Format(option.Max)}" : $"in {Format(option.Min)}..{Format(option.Max)}";
        }

        if (hasMin)
        {
            return (option.MinExclusive ? "> " : ">= ") + Format(option.Min);
        }

        return hasMax ? "<= " + Format(option.Max) : "any value";
    }

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
