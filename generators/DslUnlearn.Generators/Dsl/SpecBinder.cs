using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Binds a <see cref="YamlNode"/> tree to the <see cref="SpecSchema"/> table: checks keys, types, ranges, component
/// names and cross-key rules, resolves every default, and builds the <see cref="SpecObject"/> of the spec. Keeps going
/// after an error so that all problems of a file are reported at once.
/// </summary>
internal sealed partial class SpecBinder
{
    private readonly SpecSchema _schema;
    private readonly string _path;
    private readonly string _relativePath;
    private readonly List<SpecDiagnostic> _diagnostics;
    private readonly SpecContext _context;

    public SpecBinder(SpecSchema schema, string path, string relativePath, List<SpecDiagnostic> diagnostics, SpecContext? context = null)
    {
        _schema = schema;
        _path = path;
        _relativePath = relativePath;
        _diagnostics = diagnostics;
        _context = context ?? SpecContext.None;
    }

    private int ErrorCount => _diagnostics.Count(d => d.Severity == SpecSeverity.Error);

    /// <summary>Returns the model, or null when the spec has errors (they are reported).</summary>
    public ExperimentModel? Bind(YamlNode? root)
    {
        if (root is null)
        {
            Report(SpecDescriptors.MissingRequired, SourceSpan.FileStart,
                "the spec is empty: it needs at least 'experiment: <name>' (a lowercase name such as 'my-experiment')");
            return null;
        }

        if (root is YamlInvalid)
        {
            return null;
        }

        if (root is not YamlMapping map)
        {
            Report(SpecDescriptors.WrongType, root.Span,
                $"a spec must be a mapping at the top level (experiment:, data:, model:, ...), got {root.Describe()}");
            return null;
        }

        var errorsBefore = ErrorCount;
        map = new SpecComposer(_context, _path, _diagnostics).Compose(map);
        var owner = map.Entries.Count > 0 ? map.Entries[0].Key.Span : map.Span;
        var cellMaps = ExpandExperimentSweeps(map, out map);
        if (cellMaps is { Count: > 0 })
        {
            return BindCells(cellMaps, owner, errorsBefore);
        }

        var bound = BindSection(_schema.Root, map, owner);
        if (cellMaps is null || bound.Object is not { } spec || ErrorCount > errorsBefore)
        {
            return null;
        }

        var name = ((SpecString)spec.Get("Name")!).Value;
        var description = ((SpecString)spec.Get("Description")!).Value;
        var nameSpan = bound.Values["experiment"].Span;
        return new ExperimentModel(name, SpecCompiler.ClassNameOf(name), _relativePath, description,
            new SpecLocation(nameSpan.File ?? _path, nameSpan), spec);
    }

    private BoundSection BindSection(SpecSection section, YamlMapping map, SourceSpan ownerSpan)
    {
        var entries = new Dictionary<string, YamlEntry>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            entries[entry.Key.Value] = entry;
        }

        var values = new Dictionary<string, Bound>(StringComparer.Ordinal);
        var failed = false;
        if (section == _schema.Root)
        {
            _metricUses.Clear();
        }

        // The discriminator (method) decides which options apply, so it goes first.
        string? discriminator = null;
        SpecKey? discriminatorKey = section.Discriminator is { } dk ? section.Find(dk) : null;
        if (discriminatorKey is not null)
        {
            var b = BindKey(section, discriminatorKey, entries, ownerSpan, values, null);
            values[discriminatorKey.Key] = b;
            discriminator = b.Value switch
            {
                SpecEnum e => e.Name,
                SpecString s => s.Value,
                _ => null,
            };
        }

        foreach (var entry in map.Entries)
        {
            var key = section.Find(entry.Key.Value);
            if (key is { Kind: SpecValueKind.Composition })
            {
                Report(SpecDescriptors.UnknownKey, entry.Key.Span,
                    $"'{key.Key}' is only valid at the top level of a spec; move it there");
                failed = true;
            }
            else if (key is null)
            {
                ReportUnknownKey(section, entry.Key, discriminatorKey, discriminator);
                failed = true;
            }
            else if (key.OnlyFor is { Count: > 0 } only && discriminator is not null && !only.Contains(discriminator))
            {
                var kind = discriminatorKey!.Components?.Kind ?? discriminatorKey.Key;
                Report(SpecDescriptors.UnknownKey, entry.Key.Span,
                    $"'{key.Key}' is not an option of {kind} '{discriminator}' (only of {kind}{(only.Count > 1 ? "s" : "")} {string.Join(", ", only.Select(o => $"'{o}'"))}). " +
                    $"Valid keys for {kind} '{discriminator}': {string.Join(", ", section.UserKeys(discriminator).Select(k => k.Key))}");
                failed = true;
            }
        }

        foreach (var key in section.Keys.Where(k => k != discriminatorKey && k.DefaultFrom is null && k.IsProperty))
        {
            values[key.Key] = BindKey(section, key, entries, ownerSpan, values, discriminator);
        }

        foreach (var key in section.Keys.Where(k => k != discriminatorKey && k.DefaultFrom is not null))
        {
            values[key.Key] = BindKey(section, key, entries, ownerSpan, values, discriminator);
        }

        foreach (var key in section.Keys.Where(k => k.Excludes.Count > 0 && values.TryGetValue(k.Key, out var v) && v.Explicit))
        {
            foreach (var other in key.Excludes)
            {
                if (entries.TryGetValue(other, out var clash))
                {
                    Report(SpecDescriptors.ConflictingKeys, clash.Key.Span, other, key.Key, section.DisplayName, key.Help);
                    failed = true;
                }
            }
        }

        var properties = new List<SpecProperty>();
        foreach (var key in section.Keys.Where(k => k.IsProperty))
        {
            if (values[key.Key].Value is { } value)
            {
                properties.Add(new SpecProperty(key.Property, value));
            }
            else
            {
                failed = true;
            }
        }

        foreach (var check in section.Checks)
        {
            if (!check.Keys.All(k => values.TryGetValue(k, out var v) && v.Value is not null))
            {
                continue;
            }

            var checkValues = new SpecCheckValues(check.Keys.ToDictionary(k => k, k => values[k].Value!, StringComparer.Ordinal));
            foreach (var broken in check.Breaks(checkValues))
            {
                var at = check.ReportAt.Select(k => values.TryGetValue(k, out var v) ? v : null)
                    .FirstOrDefault(v => v is { Explicit: true });
                Report(SpecDescriptors.KeyRule, Locate(map, broken.Path) ?? at?.Span ?? ownerSpan, broken.Message);
                failed = true;
            }
        }

        var result = failed ? null : new SpecObject(section.CSharpType, properties.ToEquatableArray());
        if (result is not null && section == _schema.Root && !CheckMetricNeeds(result))
        {
            result = null;
        }

        return new BoundSection(result, values);
    }

    /// <summary>The YAML node at a path of keys and list indices below <paramref name="node"/>, or null when the file does not write it.</summary>
    private static SourceSpan? Locate(YamlNode node, IReadOnlyList<object> path)
    {
        if (path.Count == 0)
        {
            return null;
        }

        foreach (var step in path)
        {
            YamlNode? next = step switch
            {
                string key when node is YamlMapping m => m.Entries.FirstOrDefault(e => e.Key.Value == key)?.Value,
                int index when node is YamlSequence s && index < s.Items.Count => s.Items[index],
                _ => null,
            };
            if (next is null)
            {
                return null;
            }

            node = next;
        }

        return node.Span;
    }

    private Bound BindKey(SpecSection section, SpecKey key, Dictionary<string, YamlEntry> entries, SourceSpan ownerSpan,
        Dictionary<string, Bound> bound, string? discriminator)
    {
        if (key.Kind == SpecValueKind.SourceFile)
        {
            return new Bound(new SpecString(_relativePath), ownerSpan, false);
        }

        entries.TryGetValue(key.Key, out var entry);
        if (key.OnlyFor.Count > 0 && discriminator is null && section.Discriminator is not null)
        {
            // The discriminator itself is wrong (reported): which keys apply is unknown.
            return Bound.Failed(ownerSpan);
        }

        if (key.OnlyFor is { Count: > 0 } only && discriminator is not null && !only.Contains(discriminator))
        {
            // Not an option of this method (reported above if written): the runtime gets the neutral value.
            return BindDefault(key, key.Inapplicable ?? key.Default, ownerSpan);
        }

        if (entry is null)
        {
            if (key.Required)
            {
                Report(SpecDescriptors.MissingRequired, ownerSpan,
                    $"missing required key '{key.Key}' in {section.DisplayName}; add '{key.Key}: {Example(key)}'");
                return Bound.Failed(ownerSpan);
            }

            if (key.DefaultFrom is { } from)
            {
                if (!bound.TryGetValue(from, out var source) || source.Value is null)
                {
                    return Bound.Failed(ownerSpan);
                }

                SpecValue derived = key.Kind == SpecValueKind.String && source.Value is SpecEnum e ? new SpecString(e.Name) : source.Value;
                return new Bound(derived, source.Span, false);
            }

            return BindDefault(key, key.Default, ownerSpan);
        }

        var node = entry.Value;
        if (node is YamlScalar { IsNull: true } empty)
        {
            var span = empty.Span.StartOffset == empty.Span.EndOffset ? entry.Key.Span : empty.Span;
            if (key.Required)
            {
                Report(SpecDescriptors.MissingRequired, span,
                    $"'{key.Key}' has no value but is required; write '{key.Key}: {Example(key)}'");
            }
            else
            {
                Report(SpecDescriptors.WrongType, span,
                    $"'{key.Key}' expects {key.Expected}, got null; write a value or remove the key to use the default{DefaultNote(key)}");
            }

            return Bound.Failed(span);
        }

        return BindValue(key, node, $"'{key.Key}'");
    }

    private Bound BindDefault(SpecKey key, string? yaml, SourceSpan ownerSpan)
    {
        if (key.Nullable && (yaml is null || yaml == "~"))
        {
            return new Bound(SpecNull.Instance, ownerSpan, false);
        }

        var diagnostics = new List<SpecDiagnostic>();
        var node = YamlReader.Read(yaml ?? string.Empty, "<default>", diagnostics, out _);
        if (node is null || diagnostics.Count > 0)
        {
            throw new InvalidOperationException($"the schema default of '{key.Key}' is not valid YAML: {yaml}");
        }

        var errorsBefore = _diagnostics.Count;
        var bound = BindValue(key, node, $"'{key.Key}'");
        if (_diagnostics.Count > errorsBefore || bound.Value is null)
        {
            throw new InvalidOperationException($"the schema default of '{key.Key}' does not bind: {yaml}");
        }

        return new Bound(bound.Value, ownerSpan, false);
    }

    private Bound BindValue(SpecKey key, YamlNode node, string label)
    {
        if (node is YamlInvalid)
        {
            return Bound.Failed(node.Span);
        }

        switch (key.Kind)
        {
            case SpecValueKind.StepCount:
                return BindStepCount(key, node, label);

            case SpecValueKind.Integer:
            {
                if (node is not YamlScalar { IsPlain: true } s || !ScalarSyntax.IsInteger(s.Value))
                {
                    return WrongType(key, node, label);
                }

                if (!int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                {
                    Report(SpecDescriptors.OutOfRange, node.Span, label, $"a 32-bit integer ({int.MinValue}..{int.MaxValue})", s.Value,
                        $"; use a value {key.Range?.Describe() ?? "in that range"}{DefaultNote(key)}");
                    return Bound.Failed(node.Span);
                }

                return CheckRange(key, node, label, value, s.Value) ? new Bound(new SpecInt(value), node.Span, true) : Bound.Failed(node.Span);
            }

            case SpecValueKind.Number:
            {
                if (node is not YamlScalar { IsPlain: true } s || !ScalarSyntax.TryParseNumber(s.Value, out var value))
                {
                    return WrongType(key, node, label);
                }

                if (double.IsInfinity(value) || double.IsNaN(value))
                {
                    Report(SpecDescriptors.OutOfRange, node.Span, label, "a number that fits in a double", s.Value,
                        $"; use a value {key.Range?.Describe() ?? "of reasonable size"}{DefaultNote(key)}");
                    return Bound.Failed(node.Span);
                }

                return CheckRange(key, node, label, value, s.Value) ? new Bound(new SpecNumber(value), node.Span, true) : Bound.Failed(node.Span);
            }

            case SpecValueKind.String:
            {
                if (node is not YamlScalar s || s.IsNull)
                {
                    return WrongType(key, node, label);
                }

                if (key.Pattern is { } pattern && !Regex.IsMatch(s.Value, pattern, RegexOptions.CultureInvariant))
                {
                    var slug = Slugify(s.Value);
                    var example = Regex.IsMatch(slug, pattern, RegexOptions.CultureInvariant) ? $", e.g. '{slug}'" : string.Empty;
                    Report(SpecDescriptors.PatternMismatch, node.Span, label, s.Value, key.PatternHelp ?? "a value", pattern, example);
                    return Bound.Failed(node.Span);
                }

                return new Bound(new SpecString(s.Value), node.Span, true);
            }

            case SpecValueKind.Component:
            {
                var set = key.Components!;
                if (node is not YamlScalar s || s.IsNull)
                {
                    return WrongType(key, node, label);
                }

                if (set.Find(s.Value) is not { } component)
                {
                    var suggestion = DidYouMean(s.Value,
                        set.Members.SelectMany(m => new[] { (m.Name, m.Name) }.Concat(m.Aliases.Select(a => (a, m.Name)))));
                    Report(SpecDescriptors.UnknownComponent, node.Span,
                        $"unknown {set.Kind} '{s.Value}'.{suggestion} Valid {set.Kind}s: {set.ValidNames}");
                    return Bound.Failed(node.Span);
                }

                SpecValue value = set.EnumType is { } enumType
                    ? new SpecEnum(enumType, component.Member, component.Name)
                    : new SpecString(component.Name);
                return new Bound(value, node.Span, true);
            }

            case SpecValueKind.Section:
            {
                if (node is not YamlMapping map)
                {
                    return WrongType(key, node, label);
                }

                var owner = map.Entries.Count > 0 ? map.Entries[0].Key.Span : map.Span;
                var section = BindSection(key.Section!, map, owner);
                return section.Object is { } obj ? new Bound(obj, node.Span, true) : Bound.Failed(node.Span);
            }

            case SpecValueKind.List:
                return BindList(key, node, label);

            case SpecValueKind.Path:
                return BindPath(key, node, label);

            case SpecValueKind.Enum:
            {
                var s = node as YamlScalar;
                var member = s is { IsNull: false } ? key.EnumMembers.FirstOrDefault(m => m.Name == s.Value || m.Member == s.Value) : null;
                if (member is null)
                {
                    var suggestion = s is null ? string.Empty : DidYouMean(s.Value, key.EnumMembers.Select(m => (m.Name, m.Name)));
                    Report(SpecDescriptors.UnknownComponent, node.Span, $"{label} expects {key.Expected}, got {node.Describe()}.{suggestion}");
                    return Bound.Failed(node.Span);
                }

                return new Bound(new SpecEnum(key.CSharpType, member.Member, member.Name), node.Span, true);
            }

            case SpecValueKind.Unsupported:
                Report(SpecDescriptors.WrongType, node.Span,
                    $"{label} cannot be set from YAML: its type {key.CSharpType} is not one the spec language writes (integer, number, boolean, string, enum)");
                return Bound.Failed(node.Span);

            case SpecValueKind.Boolean:
                return node is YamlScalar { IsBoolean: true } b
                    ? new Bound(new SpecBool(b.Value.Equals("true", StringComparison.OrdinalIgnoreCase)), node.Span, true)
                    : WrongType(key, node, label);

            case SpecValueKind.Components:
                return BindComponents(key, node, label);

            default:
                throw new InvalidOperationException($"unexpected kind {key.Kind} of '{key.Key}'");
        }
    }

    private Bound BindList(SpecKey key, YamlNode node, string label)
    {
        if (node is not YamlSequence seq)
        {
            return WrongType(key, node, label);
        }

        var failed = false;
        if (key.NonEmpty && seq.Items.Count == 0)
        {
            var choices = key.Item?.Components is { } set ? $"; list at least one of: {set.ValidNames}" : string.Empty;
            Report(SpecDescriptors.EmptyList, node.Span, label, choices, DefaultNote(key));
            failed = true;
        }

        var items = new List<SpecValue>();
        var seenValues = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
        var seenNames = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
        foreach (var item in seq.Items)
        {
            if (key.Section is { } section)
            {
                if (item is YamlInvalid)
                {
                    failed = true;
                    continue;
                }

                if (item is not YamlMapping map)
                {
                    Report(SpecDescriptors.WrongType, item.Span,
                        $"each item of {label} expects a mapping (e.g. '- {(section.Keys.FirstOrDefault(k => k.Required) ?? section.Keys.First(k => k.IsUserKey)).Key}: ...'), got {item.Describe()}");
                    failed = true;
                    continue;
                }

                var owner = map.Entries.Count > 0 ? map.Entries[0].Key.Span : map.Span;
                var bound = BindSection(section, map, owner);
                if (section.UniqueKey is { } unique && bound.Values.TryGetValue(unique, out var u) && u.Value is SpecString name)
                {
                    if (seenNames.TryGetValue(name.Value, out var first))
                    {
                        Report(SpecDescriptors.DuplicateItemName, u.Span, label, name.Value, Line(first), unique);
                        failed = true;
                    }
                    else
                    {
                        seenNames.Add(name.Value, u.Span);
                    }
                }

                if (bound.Object is { } obj)
                {
                    items.Add(obj);
                }
                else
                {
                    failed = true;
                }
            }
            else
            {
                var itemKey = key.Item!;
                var bound = BindValue(itemKey, item, $"each item of {label}");
                if (bound.Value is not { } value)
                {
                    failed = true;
                    continue;
                }

                var text = value is SpecEnum e ? e.Name : value is SpecInt n ? n.Value.ToString(CultureInfo.InvariantCulture) : value.ToString();
                if (key.Distinct && seenValues.TryGetValue(text, out var first))
                {
                    Report(SpecDescriptors.DuplicateValue, item.Span, $"'{text}'", label, $"line {Line(first)}, column {first.StartColumn.ToString(CultureInfo.InvariantCulture)}", "list each value once");
                    failed = true;
                    continue;
                }

                seenValues[text] = item.Span;
                items.Add(value);
            }
        }

        if (failed)
        {
            return Bound.Failed(node.Span);
        }

        var elementType = key.Section?.CSharpType ?? key.Item?.Components?.EnumType ?? (key.Item?.Kind == SpecValueKind.Integer ? "int" : "string");
        return new Bound(new SpecList(elementType, items.ToEquatableArray()), node.Span, true);
    }

    private bool CheckRange(SpecKey key, YamlNode node, string label, double value, string text)
    {
        if (key.Range is not { } range || range.Contains(value))
        {
            return true;
        }

        Report(SpecDescriptors.OutOfRange, node.Span, label, range.Describe(), text, $"; set it to a value {range.Describe()}{DefaultNote(key)}");
        return false;
    }

    private Bound WrongType(SpecKey key, YamlNode node, string label)
    {
        if (node is YamlSequence && key.Kind is SpecValueKind.Integer or SpecValueKind.Number or SpecValueKind.String or SpecValueKind.Component or SpecValueKind.Path
            && !label.StartsWith("each item", StringComparison.Ordinal))
        {
            Report(SpecDescriptors.NotSweepable, node.Span, label,
                $": it expects {key.Expected}, got a list (sweeps apply to seed, to numbers and names from a fixed list in data, model and finetune, and to the options of 'unlearn' and 'attacks' items)",
                "give one value");
            return Bound.Failed(node.Span);
        }

        var hint = string.Empty;
        if (node is YamlScalar s)
        {
            if (!s.IsPlain && (key.Kind is SpecValueKind.Integer or SpecValueKind.Number) && ScalarSyntax.IsNumber(s.Value))
            {
                hint = "; remove the quotes: quoted values are strings";
            }
            else if (key.Kind == SpecValueKind.Integer && s.IsPlain && ScalarSyntax.IsNumber(s.Value))
            {
                hint = "; use a whole number";
            }
        }
        else if (node is YamlSequence && key.Kind == SpecValueKind.Section)
        {
            hint = $"; write its keys indented under '{key.Key}:' without '-'";
        }
        else if (node is YamlMapping && key.Kind is SpecValueKind.List or SpecValueKind.Components)
        {
            hint = "; start each item with '- '";
        }

        // Every number accepts a percentage (5% = 0.05); the message says so where a number was expected.
        var expected = key.Kind == SpecValueKind.Number ? key.Expected + " (or a percentage such as 5%)" : key.Expected;
        Report(SpecDescriptors.WrongType, node.Span, $"{label} expects {expected}, got {node.Describe()}{hint}");
        return Bound.Failed(node.Span);
    }

    private void ReportUnknownKey(SpecSection section, YamlScalar keyNode, SpecKey? discriminatorKey, string? discriminator)
    {
        var valid = section.UserKeys(discriminator).ToList();
        var suggestion = DidYouMean(keyNode.Value,
            valid.SelectMany(k => new[] { (k.Key, k.Key) }.Concat(k.Aliases.Select(a => (a, k.Key)))));
        var scope = discriminator is not null && discriminatorKey is not null && section.Keys.Any(k => k.OnlyFor.Count > 0)
            ? $" for {discriminatorKey.Components?.Kind ?? discriminatorKey.Key} '{discriminator}'"
            : string.Empty;
        var name = keyNode.IsPlain || keyNode.Value.Length > 0 ? keyNode.Value : "\"\"";
        Report(SpecDescriptors.UnknownKey, keyNode.Span,
            $"unknown key '{name}' in {section.DisplayName}.{suggestion} Valid keys{scope}: {string.Join(", ", valid.Select(k => k.Key))}");
    }

    /// <summary>" Did you mean 'lr'?" for the closest candidate by edit distance, or "".</summary>
    internal static string DidYouMean(string input, IEnumerable<(string Candidate, string Suggestion)> candidates)
    {
        var text = input.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var (candidate, suggestion) in candidates)
        {
            var c = candidate.ToLowerInvariant();
            var distance = EditDistance(text, c);
            if (text.Length >= 3 && c.StartsWith(text, StringComparison.Ordinal))
            {
                distance = Math.Min(distance, 1);
            }

            var threshold = Math.Max(1, c.Length / 3);
            if (distance <= threshold && distance < bestDistance)
            {
                best = suggestion;
                bestDistance = distance;
            }
        }

        return best is null ? string.Empty : $" Did you mean '{best}'?";
    }

    /// <summary>Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string Example(SpecKey key) => key.Kind switch
    {
        SpecValueKind.Component when key.Components is { } set => $"<one of {set.ValidNames}>",
        SpecValueKind.String when key.Pattern is not null => "my-experiment",
        _ => $"<{key.Expected.Substring(key.Expected.IndexOf(' ') + 1)}>",
    };

    private static string DefaultNote(SpecKey key) => key.Default is { Length: > 0 } d && d != "{}" && d != "\"\"" ? $" (default {d})" : string.Empty;

    private static string Slugify(string value)
    {
        var sb = new StringBuilder();
        foreach (var ch in value.Trim().ToLowerInvariant())
        {
            sb.Append(ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' ? ch : '-');
        }

        var slug = Regex.Replace(sb.ToString(), "-{2,}", "-").Trim('-');
        return slug.Length > 0 && slug[0] is >= 'a' and <= 'z' ? slug : "exp-" + slug;
    }

    /// <summary>A line number for a message argument.</summary>
    private static string Line(SourceSpan span) => span.StartLine.ToString(CultureInfo.InvariantCulture);

    private void Report(SpecDescriptor descriptor, SourceSpan span, params string[] arguments) => _diagnostics.Add(SpecDiagnostic.Create(descriptor, _path, span, arguments));

    private sealed class Bound
    {
        public Bound(SpecValue? value, SourceSpan span, bool isExplicit)
        {
            Value = value;
            Span = span;
            Explicit = isExplicit;
        }

        /// <summary>Null when binding failed (already reported).</summary>
        public SpecValue? Value { get; }

        /// <summary>Where the value was written (or the owner, for defaults).</summary>
        public SourceSpan Span { get; }

        /// <summary>Written in the file (not a default).</summary>
        public bool Explicit { get; }

        public static Bound Failed(SourceSpan span) => new(null, span, true);
    }

    private sealed class BoundSection
    {
        public BoundSection(SpecObject? obj, Dictionary<string, Bound> values)
        {
            Object = obj;
            Values = values;
        }

        public SpecObject? Object { get; }

        public Dictionary<string, Bound> Values { get; }
    }
}
