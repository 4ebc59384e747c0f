using System;
using System.Collections.Generic;

namespace DslUnlearn.Generators.Dsl;

internal enum SpecSeverity
{
    Error,
    Warning,
    Info,
}

/// <summary>
/// A range in a YAML file: 1-based lines and columns as YamlDotNet marks give them (end exclusive), plus
/// 0-based character offsets.
/// </summary>
internal sealed record SourceSpan(int StartLine, int StartColumn, int EndLine, int EndColumn, int StartOffset, int EndOffset)
{
    public static readonly SourceSpan FileStart = new(1, 1, 1, 1, 0, 0);

    /// <summary>The file the span is in, when it is not the spec being compiled (a base file of <c>extends:</c>).</summary>
    public string? File { get; init; }

    public override string ToString() => $"({StartLine},{StartColumn})-({EndLine},{EndColumn})";
}

/// <summary>A problem in a spec, kept as plain data; the generator turns it into a Roslyn diagnostic only when reporting.</summary>
internal sealed record SpecDiagnostic(
    string Id,
    SpecSeverity Severity,
    string Message,
    string FilePath,
    int StartLine,
    int StartColumn,
    int EndLine,
    int EndColumn,
    int StartOffset,
    int EndOffset)
{
    public static SpecDiagnostic Create(string id, string filePath, SourceSpan? span, string message)
    {
        var s = span ?? SourceSpan.FileStart;
        return new SpecDiagnostic(id, SpecDiagnosticIds.SeverityOf(id), message, s.File ?? filePath,
            s.StartLine, s.StartColumn, s.EndLine, s.EndColumn, s.StartOffset, s.EndOffset);
    }

    public SourceSpan Span => new(StartLine, StartColumn, EndLine, EndColumn, StartOffset, EndOffset) { File = FilePath };

    /// <summary>MSBuild-style text: <c>path(line,col): error DSLU0003: message</c>.</summary>
    public override string ToString()
        => $"{FilePath}({StartLine},{StartColumn}): {Severity.ToString().ToLowerInvariant()} {Id}: {Message}";
}

/// <summary>One entry of the diagnostic catalog.</summary>
internal sealed record SpecDiagnosticInfo(string Id, string Title, SpecSeverity Severity, string Description);

/// <summary>The stable diagnostic IDs of the DslUnlearn spec language (also listed in AnalyzerReleases.Shipped.md).</summary>
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
    public const string InternalError = "DSLU0099";

    public static IReadOnlyList<SpecDiagnosticInfo> All { get; } = new[]
    {
        new SpecDiagnosticInfo(SyntaxError, "YAML syntax error", SpecSeverity.Error,
            "The file is not valid YAML (or uses a YAML feature specs do not support, such as aliases or several documents)."),
        new SpecDiagnosticInfo(DuplicateKey, "Duplicate key", SpecSeverity.Error,
            "A mapping defines the same key twice; the spec language never lets the last one win."),
        new SpecDiagnosticInfo(UnknownKey, "Unknown key", SpecSeverity.Error,
            "The key is not part of this section (or not an option of the chosen method)."),
        new SpecDiagnosticInfo(WrongType, "Wrong value type", SpecSeverity.Error,
            "The value has the wrong shape: integer, number, string, list or mapping."),
        new SpecDiagnosticInfo(OutOfRange, "Value out of range", SpecSeverity.Error,
            "The value is outside its allowed range, breaks a rule between keys, or repeats a name that must be unique."),
        new SpecDiagnosticInfo(UnknownComponent, "Unknown component name", SpecSeverity.Error,
            "The method, metric, split, device, preset or data source does not exist."),
        new SpecDiagnosticInfo(MissingRequired, "Missing required value", SpecSeverity.Error,
            "A required key is absent or empty."),
        new SpecDiagnosticInfo(DuplicateExperiment, "Duplicate experiment name", SpecSeverity.Error,
            "Two spec files declare the same experiment name (or names that map to the same class)."),
        new SpecDiagnosticInfo(NotSweepable, "Sweep over a non-sweepable key", SpecSeverity.Error,
            "A list value or a 'sweep:' block is given for a key that cannot be swept, or the sweep block is malformed."),
        new SpecDiagnosticInfo(ExtendsProblem, "Bad extends", SpecSeverity.Error,
            "The file named by 'extends:' does not exist in the project, is not a mapping, or the extends chain is a cycle."),
        new SpecDiagnosticInfo(PathOutsideRoots, "Path outside the allowed roots", SpecSeverity.Error,
            "A path (relative to the spec file) leaves the repository and every declared data root."),
        new SpecDiagnosticInfo(UnknownReference, "Unknown reference or fragment", SpecSeverity.Error,
            "A ${section.key} reference or a 'use:' fragment name does not resolve, or references form a cycle."),
        new SpecDiagnosticInfo(InvalidComponent, "Invalid component", SpecSeverity.Error,
            "A runtime class marked as a component breaks the attribute contract (or two components share a name)."),
        new SpecDiagnosticInfo(MetricInputMissing, "Metric input missing", SpecSeverity.Error,
            "A metric needs an input the spec does not provide (the oracle, a holdout, TOFU's auxiliary splits); the message names the key that provides it."),
        new SpecDiagnosticInfo(InternalError, "Internal error in the spec compiler", SpecSeverity.Error,
            "The spec compiler failed unexpectedly; please report it with the YAML file."),
    };

    public static SpecSeverity SeverityOf(string id)
    {
        foreach (var info in All)
        {
            if (string.Equals(info.Id, id, StringComparison.Ordinal))
            {
                return info.Severity;
            }
        }

        return SpecSeverity.Error;
    }
}
