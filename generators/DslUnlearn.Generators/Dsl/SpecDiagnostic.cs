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

/// <summary>
/// A problem in a spec, kept as plain data; the generator turns it into a Roslyn diagnostic only when reporting.
/// <see cref="Message"/> is <see cref="Arguments"/> formatted into the descriptor's message format (the CLI prints
/// it; Roslyn formats the same arguments into the same format).
/// </summary>
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
    /// <summary>The values of the descriptor's placeholders, already formatted (invariant culture).</summary>
    public EquatableArray<string> Arguments { get; init; } = EquatableArray<string>.Empty;

    public static SpecDiagnostic Create(SpecDescriptor descriptor, string filePath, SourceSpan? span, params string[] arguments)
    {
        var s = span ?? SourceSpan.FileStart;
        return new SpecDiagnostic(descriptor.Id, descriptor.Severity, descriptor.Format(arguments), s.File ?? filePath,
            s.StartLine, s.StartColumn, s.EndLine, s.EndColumn, s.StartOffset, s.EndOffset)
        {
            Arguments = arguments.ToEquatableArray(),
        };
    }

    public SourceSpan Span => new(StartLine, StartColumn, EndLine, EndColumn, StartOffset, EndOffset) { File = FilePath };

    /// <summary>MSBuild-style text: <c>path(line,col): error DSLU0003: message</c>.</summary>
    public override string ToString()
        => $"{FilePath}({StartLine},{StartColumn}): {Severity.ToString().ToLowerInvariant()} {Id}: {Message}";
}
