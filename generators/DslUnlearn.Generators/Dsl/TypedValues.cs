using System.Globalization;
using System.Text.RegularExpressions;

namespace DslUnlearn.Generators.Dsl;

/// <summary>The unit of a step count as YAML writes it (mirrors the runtime's <c>DslUnlearn.Specs.Vocabulary.StepUnit</c>).</summary>
internal enum StepCountUnit
{
    Steps,
    Epochs,

    /// <summary>A share of the run's total steps ("10%"); the value is the fraction (0.1).</summary>
    FractionOfTotal,
}

/// <summary>A parsed step count: a value and its unit.</summary>
internal readonly record struct StepCountValue(double Value, StepCountUnit Unit);

/// <summary>
/// Step counts (training lengths and cadences): <c>10</c>, <c>"10 steps"</c>, <c>"2 epochs"</c>, <c>"0.5 epoch"</c>,
/// <c>"10%"</c> (of the run's total steps). Parsing and checking are plain functions so the generator and the CLI's
/// <c>validate</c> give the same messages. The runtime type is <c>DslUnlearn.Specs.Vocabulary.StepCount</c>.
/// </summary>
internal static class StepCountSyntax
{
    /// <summary>Full metadata name of the runtime type; option properties of this type are step counts.</summary>
    public const string RuntimeType = "DslUnlearn.Specs.Vocabulary.StepCount";

    public const string RuntimeTypeGlobal = "global::" + RuntimeType;

    public const string RuntimeUnitGlobal = "global::DslUnlearn.Specs.Vocabulary.StepUnit";

    /// <summary>The most epochs a step count may ask for (a guard against typos such as 1e9).</summary>
    public const double MaxEpochs = 1_000_000;

    private static readonly Regex Shape = new(@"^\s*(?<n>[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)\s*(?<u>%|[A-Za-z_][A-Za-z_ ]*?)?\s*$",
        RegexOptions.CultureInvariant);

    private static readonly (string Name, StepCountUnit Unit)[] Units =
    {
        ("steps", StepCountUnit.Steps), ("step", StepCountUnit.Steps), ("epochs", StepCountUnit.Epochs), ("epoch", StepCountUnit.Epochs),
    };

    /// <summary>What a step-count option accepts, for messages and the reference table.</summary>
    public static string Expected(bool allowPercent)
        => allowPercent ? "a step count (10, \"10 steps\", \"2 epochs\", \"0.5 epoch\" or \"10%\" of the run's steps)"
            : "a step count (10, \"10 steps\", \"2 epochs\" or \"0.5 epoch\")";

    /// <summary>The type column of the reference table.</summary>
    public static string TypeText(bool allowPercent) => allowPercent ? "steps \\| \"N epochs\" \\| \"P%\"" : "steps \\| \"N epochs\"";

    /// <summary>
    /// Parses and checks <paramref name="text"/> against the option's range (<paramref name="min"/> applies to steps:
    /// a minimum above 0 makes 0 epochs and 0% invalid; <paramref name="max"/> applies to steps). Returns null with
    /// <paramref name="error"/> set when the text is not a valid step count.
    /// </summary>
    public static StepCountValue? Parse(string text, bool allowPercent, double? min, bool minExclusive, double? max,
        out StepCountError? error)
    {
        error = null;
        var m = Shape.Match(text);
        if (!m.Success)
        {
            error = StepCountError.WrongShape($"expects {Expected(allowPercent)}, got '{text}'");
            return null;
        }

        var number = double.Parse(m.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        var unitText = m.Groups["u"].Success ? m.Groups["u"].Value.Trim() : string.Empty;
        StepCountUnit unit;
        if (unitText.Length == 0)
        {
            unit = StepCountUnit.Steps;
        }
        else if (unitText == "%")
        {
            if (!allowPercent)
            {
                error = StepCountError.WrongShape($"cannot be a percentage ('{text}'): it is the length of the run that percentages refer to; give steps or epochs (\"2 epochs\")");
                return null;
            }

            unit = StepCountUnit.FractionOfTotal;
            number /= 100.0;
        }
        else
        {
            var found = Array.FindIndex(Units, u => string.Equals(u.Name, unitText, StringComparison.OrdinalIgnoreCase));
            if (found < 0)
            {
                var suggestion = SpecBinder.DidYouMean(unitText, Units.Select(u => (u.Name, u.Unit == StepCountUnit.Steps ? "steps" : "epochs")));
                error = StepCountError.WrongShape($"has an unknown unit '{unitText}' in '{text}'.{suggestion} Units: steps, epochs" + (allowPercent ? ", or a percentage of the run's steps (10%)" : string.Empty));
                return null;
            }

            unit = Units[found].Unit;
        }

        if (double.IsNaN(number) || double.IsInfinity(number) || number < 0)
        {
            error = StepCountError.OutOfRange($"0 or more", text);
            return null;
        }

        var positive = min is { } lo && (lo > 0 || (lo == 0 && minExclusive));
        switch (unit)
        {
            case StepCountUnit.Steps:
                if (number != Math.Floor(number))
                {
                    error = StepCountError.OutOfRange($"a whole number of steps", text, "; round it, or give epochs (\"0.5 epoch\")");
                    return null;
                }

                if (number > int.MaxValue)
                {
                    error = StepCountError.OutOfRange($"at most {int.MaxValue} steps", text);
                    return null;
                }

                var range = new SpecRange(min, minExclusive, max);
                if ((min is not null || max is not null) && !range.Contains(number))
                {
                    error = StepCountError.OutOfRange($"{range.Describe()} steps", text);
                    return null;
                }

                break;

            case StepCountUnit.Epochs:
                if (positive && number == 0)
                {
                    error = StepCountError.OutOfRange($"more than 0 epochs", text);
                    return null;
                }

                if (number > MaxEpochs)
                {
                    error = StepCountError.OutOfRange($"at most {MaxEpochs.ToString("0", CultureInfo.InvariantCulture)} epochs", text);
                    return null;
                }

                break;

            default:
                if (number > 1)
                {
                    error = StepCountError.OutOfRange($"at most 100% of the run's steps", text);
                    return null;
                }

                if (positive && number == 0)
                {
                    error = StepCountError.OutOfRange($"more than 0%", text);
                    return null;
                }

                break;
        }

        return new StepCountValue(number, unit);
    }

    /// <summary>The model value of a step count: a plain int for steps (emitted as before: <c>Steps = 10</c>), else <c>new StepCount(v, unit)</c>.</summary>
    public static SpecValue ToSpecValue(StepCountValue value)
    {
        if (value.Unit == StepCountUnit.Steps)
        {
            return new SpecInt((int)value.Value);
        }

        var member = value.Unit == StepCountUnit.Epochs ? "Epochs" : "FractionOfTotal";
        return new SpecNew(RuntimeTypeGlobal, new SpecValue[]
        {
            new SpecNumber(value.Value), new SpecEnum(RuntimeUnitGlobal, member, ComponentCatalog.SnakeCase(member)),
        }.ToEquatableArray());
    }
}

/// <summary>Why a step count is invalid: a wrong shape (DSLU0004) or a value out of range (DSLU0005).</summary>
internal sealed record StepCountError(SpecDescriptor Descriptor, string Requirement, string Text, string Fix)
{
    public static StepCountError WrongShape(string predicate) => new(SpecDescriptors.WrongType, predicate, string.Empty, string.Empty);

    public static StepCountError OutOfRange(string requirement, string text, string fix = "")
        => new(SpecDescriptors.OutOfRange, requirement, text, fix);

    /// <summary>The descriptor's arguments for the key named <paramref name="label"/>.</summary>
    public string[] Arguments(string label) => Descriptor == SpecDescriptors.WrongType
        ? new[] { $"{label} {Requirement}" }
        : new[] { label, Requirement, $"'{Text}'", Fix };

    /// <summary>The message without the key's name ("must be a whole number of steps, got '2.5'; ...").</summary>
    public override string ToString() => Descriptor.Format(Arguments(string.Empty)).TrimStart();
}
