using System.IO;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Reads YAML text with YamlDotNet's low-level event parser into <see cref="YamlNode"/>s, so that every node keeps
/// its location and duplicate keys are reported (never last-wins). Never throws: problems become diagnostics.
/// </summary>
internal sealed class YamlReader
{
    /// <summary>Deeper nesting than this is reported, which also keeps the recursion bounded on garbage input.</summary>
    public const int MaxDepth = 64;

    private static readonly Regex MarkPrefix = new(
        @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*",
        RegexOptions.CultureInvariant);

    private readonly string _path;
    private readonly List<SpecDiagnostic> _diagnostics;
    private readonly Scanner _scanner;
    private readonly Parser _parser;
    private SourceSpan _lastSpan = SourceSpan.FileStart;

    private YamlReader(string text, string path, List<SpecDiagnostic> diagnostics)
    {
        _path = path;
        _diagnostics = diagnostics;
        _scanner = new Scanner(new StringReader(text), skipComments: true);
        _parser = new Parser(_scanner);
    }

    /// <summary>
    /// Reads the single document of <paramref name="text"/>. Returns null for an empty stream or after a syntax
    /// error (<paramref name="syntaxError"/> tells which); diagnostics are appended to <paramref name="diagnostics"/>.
    /// </summary>
    public static YamlNode? Read(string text, string path, List<SpecDiagnostic> diagnostics, out bool syntaxError)
    {
        var reader = new YamlReader(text, path, diagnostics);
        return reader.ReadStream(out syntaxError);
    }

    private YamlNode? ReadStream(out bool syntaxError)
    {
        syntaxError = false;
        try
        {
            Next(); // StreamStart
            Expect<StreamStart>();
            Next();
            if (_parser.Current is StreamEnd)
            {
                return null;
            }

            Expect<DocumentStart>();
            Next();
            var root = ReadNode(0);
            Expect<DocumentEnd>();
            Next();
            if (_parser.Current is DocumentStart second)
            {
                Report(SpecDescriptors.SyntaxError, SpanOf(second),
                    "a spec file holds exactly one YAML document; remove the second document (after '---') or move it to its own file");
                syntaxError = true;
                return null;
            }

            return root;
        }
        catch (AbortException)
        {
            syntaxError = true;
            return null;
        }
        catch (YamlException ex)
        {
            var span = ex.Start.Equals(Mark.Empty) ? CurrentPosition() : SpanOf(ex.Start, ex.End);
            Report(SpecDescriptors.SyntaxError, span, "YAML syntax error: " + Clean(ex.InnerException is YamlException inner ? inner.Message : ex.Message));
            syntaxError = true;
            return null;
        }
        catch (Exception ex)
        {
            // YamlDotNet throws plain InvalidOperationException for some malformed input (an unclosed '[' ...).
            Report(SpecDescriptors.SyntaxError, CurrentPosition(), "YAML syntax error: " + Clean(ex.Message));
            syntaxError = true;
            return null;
        }
    }

    private YamlNode ReadNode(int depth)
    {
        if (depth > MaxDepth)
        {
            Report(SpecDescriptors.SyntaxError, _lastSpan, $"the YAML is nested more than {MaxDepth} levels deep");
            throw new AbortException();
        }

        var current = _parser.Current ?? throw new InvalidOperationException("unexpected end of the YAML stream");
        switch (current)
        {
            case Scalar scalar:
            {
                Next();
                var isPlain = scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty;
                return new YamlScalar(scalar.Value ?? string.Empty, isPlain, SpanOf(scalar));
            }

            case AnchorAlias alias:
                Next();
                Report(SpecDescriptors.SyntaxError, SpanOf(alias),
                    $"YAML aliases (*{alias.Value}) are not supported in specs; write the value out");
                return new YamlInvalid(SpanOf(alias));

            case SequenceStart start:
            {
                Next();
                var items = new List<YamlNode>();
                while (_parser.Current is not SequenceEnd)
                {
                    items.Add(ReadNode(depth + 1));
                }

                var end = _parser.Current;
                Next();
                return new YamlSequence(items, SpanOf(start.Start, end.End));
            }

            case MappingStart start:
            {
                Next();
                var entries = new List<YamlEntry>();
                var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
                while (_parser.Current is not MappingEnd)
                {
                    var keyNode = ReadNode(depth + 1);
                    var valueNode = ReadNode(depth + 1);
                    if (keyNode is not YamlScalar key)
                    {
                        if (keyNode is not YamlInvalid)
                        {
                            Report(SpecDescriptors.WrongType, keyNode.Span,
                                $"a key must be a plain name, got {keyNode.Describe()}");
                        }

                        continue;
                    }

                    if (seen.TryGetValue(key.Value, out var first))
                    {
                        Report(SpecDescriptors.DuplicateKey, key.Span,
                            $"duplicate key '{key.Value}' (first defined at line {first.Span.StartLine}, column {first.Span.StartColumn}); " +
                            "a key may appear only once in a mapping, remove one of them");
                        continue;
                    }

                    seen.Add(key.Value, key);
                    entries.Add(new YamlEntry(key, valueNode));
                }

                var end = _parser.Current;
                Next();
                return new YamlMapping(entries, SpanOf(start.Start, end.End));
            }

            default:
                throw new InvalidOperationException($"unexpected YAML event {current.GetType().Name}");
        }
    }

    private void Next()
    {
        if (!_parser.MoveNext())
        {
            throw new InvalidOperationException("unexpected end of the YAML stream");
        }

        if (_parser.Current is { } current)
        {
            _lastSpan = SpanOf(current);
        }
    }

    private void Expect<T>()
        where T : ParsingEvent
    {
        if (_parser.Current is not T)
        {
            throw new InvalidOperationException(
                $"expected {typeof(T).Name} but found {_parser.Current?.GetType().Name ?? "the end of the file"}");
        }
    }

    private SourceSpan CurrentPosition()
    {
        try
        {
            var mark = _scanner.CurrentPosition;
            return SpanOf(mark, mark);
        }
        catch (Exception)
        {
            return _lastSpan;
        }
    }

    private void Report(SpecDescriptor descriptor, SourceSpan span, params string[] arguments)
        => _diagnostics.Add(SpecDiagnostic.Create(descriptor, _path, span, arguments));

    private SourceSpan SpanOf(ParsingEvent e) => SpanOf(e.Start, e.End);

    private SourceSpan SpanOf(Mark start, Mark end)
    {
        var startLine = Math.Max(1, (int)start.Line);
        var startColumn = Math.Max(1, (int)start.Column);
        var endLine = Math.Max(startLine, (int)end.Line);
        var endColumn = endLine == startLine ? Math.Max(startColumn, (int)end.Column) : Math.Max(1, (int)end.Column);
        var startOffset = Math.Max(0, (int)start.Index);
        var endOffset = Math.Max(startOffset, (int)end.Index);
        return new SourceSpan(startLine, startColumn, endLine, endColumn, startOffset, endOffset) { File = _path };
    }

    private static string Clean(string message)
    {
        message = MarkPrefix.Replace(message ?? string.Empty, string.Empty).Trim();
        return message.Length == 0 ? "malformed YAML" : message;
    }

    private sealed class AbortException : Exception
    {
    }
}

/// <summary>How plain scalars look: integers and numbers in the invariant culture.</summary>
internal static class ScalarSyntax
{
    private static readonly Regex Integer = new(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant);
    private static readonly Regex Number = new(@"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant);

    public static bool IsInteger(string s) => Integer.IsMatch(s);

    public static bool IsNumber(string s) => Number.IsMatch(s);

    /// <summary>A number, or a percentage ("5%" = 0.05).</summary>
    public static bool TryParseNumber(string s, out double value)
    {
        value = 0;
        var percent = s.EndsWith("%", StringComparison.Ordinal);
        var text = percent ? s.Substring(0, s.Length - 1).TrimEnd() : s;
        if (!Number.IsMatch(text))
        {
            return false;
        }

        value = double.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
        if (percent)
        {
            value /= 100.0;
        }

        return true;
    }
}
