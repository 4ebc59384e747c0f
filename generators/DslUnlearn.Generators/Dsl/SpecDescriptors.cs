using System.Globalization;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// One problem a spec can have: a stable ID, a title, and a message format whose placeholders the reporting site
/// fills (as Roslyn's DiagnosticDescriptor, kept Roslyn-free so the CLI's <c>validate</c> shares it). Messages say
/// what is wrong and how to fix it; the site supplies the names and values.
/// </summary>
internal sealed record SpecDescriptor(string Id, string Title, string MessageFormat, string Description)
{
    public SpecSeverity Severity => SpecSeverity.Error;

    /// <summary>The message: the arguments in the format (invariant culture; arguments are text already).</summary>
    public string Format(IReadOnlyList<string> arguments)
        => string.Format(CultureInfo.InvariantCulture, MessageFormat, arguments.Cast<object>().ToArray());
}

/// <summary>
/// The catalog of spec diagnostics, one descriptor per problem (also in AnalyzerReleases.*.md). IDs are stable:
/// DSLU0005 and DSLU0009 once covered many problems and keep the one their title names; the others moved to
/// DSLU0015 and up. Descriptors whose format is a bare <c>{0}</c> take a sentence composed at the site (the older
/// IDs, whose sites each word a different case).
/// </summary>
internal static class SpecDescriptors
{
    public static readonly SpecDescriptor SyntaxError = new(SpecDiagnosticIds.SyntaxError, "YAML syntax error", "{0}",
        "The file is not valid YAML (or uses a YAML feature specs do not support, such as aliases or several documents).");

    public static readonly SpecDescriptor DuplicateKey = new(SpecDiagnosticIds.DuplicateKey, "Duplicate key", "{0}",
        "A mapping defines the same key twice; the spec language never lets the last one win.");

    public static readonly SpecDescriptor UnknownKey = new(SpecDiagnosticIds.UnknownKey, "Unknown key", "{0}",
        "The key is not part of this section (or not an option of the chosen method).");

    public static readonly SpecDescriptor WrongType = new(SpecDiagnosticIds.WrongType, "Wrong value type", "{0}",
        "The value has the wrong shape: integer, number, string, list or mapping.");

    public static readonly SpecDescriptor OutOfRange = new(SpecDiagnosticIds.OutOfRange, "Value out of range",
        "{0} must be {1}, got {2}{3}",
        "A number or step count is outside its allowed range (or does not fit its type: a 32-bit integer, a double, whole steps).");

    public static readonly SpecDescriptor UnknownComponent = new(SpecDiagnosticIds.UnknownComponent, "Unknown component name", "{0}",
        "The method, metric, split, device, preset or data source does not exist.");

    public static readonly SpecDescriptor MissingRequired = new(SpecDiagnosticIds.MissingRequired, "Missing required value", "{0}",
        "A required key is absent or empty.");

    public static readonly SpecDescriptor DuplicateExperiment = new(SpecDiagnosticIds.DuplicateExperiment, "Duplicate experiment name", "{0}",
        "Two spec files declare the same experiment name (or names that map to the same class).");

    public static readonly SpecDescriptor NotSweepable = new(SpecDiagnosticIds.NotSweepable, "Sweep over a non-sweepable key",
        "{0} cannot be swept{1}; {2}",
        "A list of values (or a 'sweep:' block) is given where sweeps are not allowed: the key, its option or its section is not sweepable.");

    public static readonly SpecDescriptor ExtendsProblem = new(SpecDiagnosticIds.ExtendsProblem, "Bad extends", "{0}",
        "The file named by 'extends:' does not exist in the project, is not a mapping, or the extends chain is a cycle.");

    public static readonly SpecDescriptor PathOutsideRoots = new(SpecDiagnosticIds.PathOutsideRoots, "Path outside the allowed roots", "{0}",
        "A path (relative to the spec file) leaves the repository and every declared data root.");

    public static readonly SpecDescriptor UnknownReference = new(SpecDiagnosticIds.UnknownReference, "Unknown reference or fragment", "{0}",
        "A ${section.key} reference or a 'use:' fragment name does not resolve, or references form a cycle.");

    public static readonly SpecDescriptor InvalidComponent = new(SpecDiagnosticIds.InvalidComponent, "Invalid component", "{0}",
        "A runtime class marked as a component breaks the attribute contract (or two components share a name).");

    public static readonly SpecDescriptor MetricInputMissing = new(SpecDiagnosticIds.MetricInputMissing, "Metric input missing", "{0}",
        "A metric needs an input the spec does not provide (the oracle, a holdout, TOFU's auxiliary splits); the message names the key that provides it.");

    public static readonly SpecDescriptor PatternMismatch = new(SpecDiagnosticIds.PatternMismatch, "Value does not match its pattern",
        "{0} value '{1}' is not valid: use {2} (pattern {3}){4}",
        "A string key (such as 'experiment') must match a pattern; the message gives a corrected example.");

    public static readonly SpecDescriptor ConflictingKeys = new(SpecDiagnosticIds.ConflictingKeys, "Keys that exclude each other",
        "'{0}' cannot be set together with '{1}' in {2} ({3}); remove '{0}'",
        "Two keys of a section are alternatives (e.g. a holdout file and holdout authors); set one.");

    public static readonly SpecDescriptor KeyRule = new(SpecDiagnosticIds.KeyRule, "Keys inconsistent with each other",
        "{0}",
        "Values that are each in range break a rule between keys (forget_authors < authors, heads divide hidden_size, a section that applies only with one data source); the rule's message names both keys and valid values.");

    public static readonly SpecDescriptor DuplicateItemName = new(SpecDiagnosticIds.DuplicateItemName, "Two items with the same name",
        "two items of {0} are named '{1}' (the other at line {2}); names must be unique: give this one a distinct '{3}:' such as '{1}-2'",
        "Items of a list section (unlearn, attacks, ...) are named by their component unless 'name:' says otherwise; names must be unique.");

    public static readonly SpecDescriptor DuplicateValue = new(SpecDiagnosticIds.DuplicateValue, "Value listed twice",
        "{0} is listed twice in {1} (first at {2}); {3}",
        "A list of names, or the values of a sweep, repeats an entry.");

    public static readonly SpecDescriptor EmptyList = new(SpecDiagnosticIds.EmptyList, "Empty list",
        "{0} must not be empty{1}{2}",
        "A list key that needs entries (splits, calibration metrics) is given as an empty list.");

    public static readonly SpecDescriptor CalibrationMetricNeedsOptions = new(SpecDiagnosticIds.CalibrationMetricNeedsOptions, "Calibration metric needs options",
        "metric '{0}' needs options ({1}), and calibration builds its metrics with default options; pick another metric",
        "Calibration builds its metrics with default options, so a metric with required options cannot serve it.");

    public static readonly SpecDescriptor CalibrationCriterionLowerIsBetter = new(SpecDiagnosticIds.CalibrationCriterionLowerIsBetter, "Calibration criterion where lower is better",
        "'{0}' cannot be the calibration criterion: lower is better for it, and calibration looks for the largest mixing weight whose criterion " +
        "stays at least fraction x the reference model's (higher = better); use a metric such as {1}",
        "The calibration criterion (retain_metric) must be a metric where higher is better.");

    public static readonly SpecDescriptor SweepTooLarge = new(SpecDiagnosticIds.SweepTooLarge, "Sweep too large",
        "this {0} has more than {1} cells; sweep fewer values (or zip keys that vary together)",
        "A sweep's grid (the product of its axes) has more cells than the compiler accepts.");

    public static readonly SpecDescriptor MalformedSweep = new(SpecDiagnosticIds.MalformedSweep, "Malformed sweep block",
        "{0} expects {1}, got {2}{3}",
        "A 'sweep:' block is not a mapping of keys to lists, or its 'zip:' is not a list of keys.");

    public static readonly SpecDescriptor SweptTwice = new(SpecDiagnosticIds.SweptTwice, "Key set twice with a sweep",
        "'{0}' is set twice: {1} and in 'sweep'; keep one",
        "A key is given both a value (or list) of its own and a list in the 'sweep:' block.");

    public static readonly SpecDescriptor EmptySweep = new(SpecDiagnosticIds.EmptySweep, "Sweep without values",
        "the sweep of '{0}' has no values; list at least one",
        "A swept key is given an empty list.");

    public static readonly SpecDescriptor ZipUnsweptKey = new(SpecDiagnosticIds.ZipUnsweptKey, "Zip names a key that is not swept",
        "'zip' names {0}, which {1} not swept; list keys that have a list of values (swept here: {2})",
        "'zip:' lists keys that vary together; each must be swept (have a list of values).");

    public static readonly SpecDescriptor ZipLengthMismatch = new(SpecDiagnosticIds.ZipLengthMismatch, "Zipped lists of different lengths",
        "zipped keys need lists of the same length: {0}",
        "Keys zipped together vary in step, so their lists must be equally long.");

    public static readonly SpecDescriptor InternalError = new(SpecDiagnosticIds.InternalError, "Internal error in the spec compiler", "{0}",
        "The spec compiler failed unexpectedly; please report it with the YAML file.");

    public static IReadOnlyList<SpecDescriptor> All { get; } = new[]
    {
        SyntaxError, DuplicateKey, UnknownKey, WrongType, OutOfRange, UnknownComponent, MissingRequired, DuplicateExperiment,
        NotSweepable, ExtendsProblem, PathOutsideRoots, UnknownReference, InvalidComponent, MetricInputMissing,
        PatternMismatch, ConflictingKeys, KeyRule, DuplicateItemName, DuplicateValue, EmptyList,
        CalibrationMetricNeedsOptions, CalibrationCriterionLowerIsBetter, SweepTooLarge,
        MalformedSweep, SweptTwice, EmptySweep, ZipUnsweptKey, ZipLengthMismatch, InternalError,
    };
}

/// <summary>The stable diagnostic IDs of the DslUnlearn spec language (descriptors: <see cref="SpecDescriptors"/>).</summary>
internal static class SpecDiagnosticIds
{
    public const string Category = "DslUnlearn";

    public const string SyntaxError = "DSLU0001";
    public const string DuplicateKey = "DSLU0002";
    public const string UnknownKey = "DSLU0003";
    public const string WrongType = "DSLU0004";
    public const string OutOfRange = "DSLU0005";
    public const string UnknownComponent = "DSLU0006";
    public const string MissingRequired = "DSLU0007";
    public const string DuplicateExperiment = "DSLU0008";
    public const string NotSweepable = "DSLU0009";
    public const string ExtendsProblem = "DSLU0010";
    public const string PathOutsideRoots = "DSLU0011";
    public const string UnknownReference = "DSLU0012";
    public const string InvalidComponent = "DSLU0013";
    public const string MetricInputMissing = "DSLU0014";
    public const string PatternMismatch = "DSLU0015";
    public const string ConflictingKeys = "DSLU0016";
    public const string KeyRule = "DSLU0017";
    public const string DuplicateItemName = "DSLU0018";
    public const string DuplicateValue = "DSLU0019";
    public const string EmptyList = "DSLU0020";
    public const string CalibrationMetricNeedsOptions = "DSLU0021";
    public const string CalibrationCriterionLowerIsBetter = "DSLU0022";
    public const string SweepTooLarge = "DSLU0023";
    public const string MalformedSweep = "DSLU0024";
    public const string SweptTwice = "DSLU0025";
    public const string EmptySweep = "DSLU0026";
    public const string ZipUnsweptKey = "DSLU0027";
    public const string ZipLengthMismatch = "DSLU0028";
    public const string BadCheckpoint = "DSLU0029"; // reported by dslunlearn validate only (src/DslUnlearn.Cli/CheckpointCheck.cs): the build cannot read the folder
    public const string InternalError = "DSLU0099";

    public static IReadOnlyList<SpecDescriptor> All => SpecDescriptors.All;

    public static SpecSeverity SeverityOf(string id) => SpecDescriptors.All.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal))?.Severity ?? SpecSeverity.Error;
}
