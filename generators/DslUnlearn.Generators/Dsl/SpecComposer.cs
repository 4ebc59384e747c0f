using System.Globalization;
using System.Text;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Composition, before binding: <c>extends:</c> (deep merge of base files, later wins, lists replace),
/// <c>fragments:</c> + <c>use: name</c> (named mappings merged into the mapping that uses them; local keys win),
/// and <c>${section.key}</c> references (to values written in the spec, its bases or <c>vars:</c>). Nodes keep the
/// file and position they were written at, so diagnostics point into base files where the value lives there.
/// </summary>
internal sealed class SpecComposer
{
    public const string ExtendsKey = "extends";
    public const string VarsKey = "vars";
    public const string FragmentsKey = "fragments";
    public const string UseKey = "use";

    private const int MaxReferenceDepth = 32;

    private readonly SpecContext _context;
    private readonly List<SpecDiagnostic> _diagnostics;
    private readonly string _path;
    private Dictionary<string, YamlNode> _fragments = new(StringComparer.Ordinal);
    private YamlMapping? _lookup;

    public SpecComposer(SpecContext context, string path, List<SpecDiagnostic> diagnostics)
    {
        _context = context;
        _path = path;
        _diagnostics = diagnostics;
    }

    /// <summary>The composed mapping (composition keys removed); problems are reported, never thrown.</summary>
    public YamlMapping Compose(YamlMapping root)
    {
        var merged = ApplyExtends(root, PathText.Normalize(_path), new List<string> { PathText.Normalize(_path) });

        var vars = Find(merged, VarsKey);
        if (vars is not null && vars.Value is not YamlMapping && !IsNull(vars.Value))
        {
            Report(SpecDescriptors.WrongType, vars.Value.Span, $"'vars' expects a mapping of names to values (e.g. 'vars: {{ lr: 1e-4 }}'), got {vars.Value.Describe()}");
        }

        var fragments = Find(merged, FragmentsKey);
        if (fragments?.Value is YamlMapping fragmentMap)
        {
            foreach (var entry in fragmentMap.Entries)
            {
                if (entry.Value is YamlMapping)
                {
                    _fragments[entry.Key.Value] = entry.Value;
                }
                else
                {
                    Report(SpecDescriptors.WrongType, entry.Value.Span,
                        $"fragment '{entry.Key.Value}' expects a mapping of keys (merged where 'use: {entry.Key.Value}' is written), got {entry.Value.Describe()}");
                }
            }
        }
        else if (fragments is not null && !IsNull(fragments.Value))
        {
            Report(SpecDescriptors.WrongType, fragments.Value.Span, $"'fragments' expects a mapping of names to mappings, got {fragments.Value.Describe()}");
        }

        var body = Without(merged, ExtendsKey, VarsKey, FragmentsKey);
        body = (YamlMapping)ExpandUses(body, new List<string>());

        var lookupEntries = body.Entries.ToList();
        if (vars?.Value is YamlMapping varMap)
        {
            lookupEntries.Add(new YamlEntry(vars.Key, ExpandUses(varMap, new List<string>())));
        }

        _lookup = new YamlMapping(lookupEntries, body.Span);
        return (YamlMapping)Resolve(body, new List<string>());
    }

    private YamlMapping ApplyExtends(YamlMapping mapping, string filePath, List<string> chain)
    {
        var extends = Find(mapping, ExtendsKey);
        if (extends is null)
        {
            return mapping;
        }

        var targets = new List<YamlScalar>();
        switch (extends.Value)
        {
            case YamlScalar { IsNull: false } s:
                targets.Add(s);
                break;
            case YamlSequence seq when seq.Items.All(i => i is YamlScalar { IsNull: false }):
                targets.AddRange(seq.Items.Cast<YamlScalar>());
                break;
            case YamlInvalid:
                break;
            default:
                Report(SpecDescriptors.WrongType, extends.Value.Span,
                    $"'extends' expects a spec file (e.g. 'extends: base/tiny.yaml') or a list of them, got {extends.Value.Describe()}");
                break;
        }

        YamlMapping? accumulated = null;
        foreach (var target in targets)
        {
            var full = PathText.Combine(PathText.Parent(filePath), target.Value);
            if (chain.Contains(full, StringComparer.Ordinal))
            {
                var cycle = chain.Skip(chain.IndexOf(full)).Concat(new[] { full }).Select(Display);
                Report(SpecDescriptors.ExtendsProblem, target.Span,
                    $"extends cycle: {string.Join(" -> ", cycle)}; a spec cannot extend itself, directly or through its bases: remove one of these extends");
                continue;
            }

            if (chain.Count > 16)
            {
                Report(SpecDescriptors.ExtendsProblem, target.Span, "extends chain is deeper than 16 files; flatten it");
                continue;
            }

            var text = _context.ReadFile(full);
            if (text is null)
            {
                Report(SpecDescriptors.ExtendsProblem, target.Span,
                    $"extends: file '{target.Value}' not found (looked for {Display(full)}); the path is relative to this file and must name a .yaml file of the experiments project, e.g. 'base/tiny.yaml'");
                continue;
            }

            var root = YamlReader.Read(text, full, _diagnostics, out var syntaxError);
            if (syntaxError)
            {
                continue;
            }

            if (root is not YamlMapping baseMap)
            {
                if (root is not null)
                {
                    Report(SpecDescriptors.ExtendsProblem, target.Span, $"extends: '{target.Value}' must hold a mapping (keys such as model:, finetune:), got {root.Describe()}");
                }

                continue;
            }

            var resolved = ApplyExtends(baseMap, full, chain.Concat(new[] { full }).ToList());
            accumulated = accumulated is null ? resolved : Merge(accumulated, resolved);
        }

        var own = Without(mapping, ExtendsKey);
        return accumulated is null ? own : Merge(accumulated, own);
    }

    /// <summary>Deep merge: mappings merge key by key (<paramref name="over"/> wins), anything else is replaced.</summary>
    public static YamlMapping Merge(YamlMapping under, YamlMapping over)
    {
        var entries = new List<YamlEntry>();
        var overByKey = over.Entries.ToDictionary(e => e.Key.Value, StringComparer.Ordinal);
        foreach (var entry in under.Entries)
        {
            if (!overByKey.TryGetValue(entry.Key.Value, out var replacement))
            {
                entries.Add(entry);
            }
            else if (entry.Value is YamlMapping a && replacement.Value is YamlMapping b)
            {
                entries.Add(new YamlEntry(replacement.Key, Merge(a, b)));
            }
            else
            {
                entries.Add(replacement);
            }
        }

        var underKeys = new HashSet<string>(under.Entries.Select(e => e.Key.Value), StringComparer.Ordinal);
        entries.AddRange(over.Entries.Where(e => !underKeys.Contains(e.Key.Value)));
        return new YamlMapping(entries, over.Span);
    }

    private YamlNode ExpandUses(YamlNode node, List<string> stack)
    {
        switch (node)
        {
            case YamlSequence seq:
                return new YamlSequence(seq.Items.Select(i => ExpandUses(i, stack)).ToList(), seq.Span);

            case YamlMapping map:
            {
                var children = new YamlMapping(
                    map.Entries.Where(e => e.Key.Value != UseKey).Select(e => new YamlEntry(e.Key, ExpandUses(e.Value, stack))).ToList(), map.Span);
                var use = Find(map, UseKey);
                if (use is null)
                {
                    return children;
                }

                var names = use.Value switch
                {
                    YamlScalar { IsNull: false } s => new List<YamlScalar> { s },
                    YamlSequence seq when seq.Items.All(i => i is YamlScalar { IsNull: false }) => seq.Items.Cast<YamlScalar>().ToList(),
                    _ => null,
                };
                if (names is null)
                {
                    Report(SpecDescriptors.WrongType, use.Value.Span, $"'use' expects a fragment name or a list of names, got {use.Value.Describe()}");
                    return children;
                }

                YamlMapping? accumulated = null;
                foreach (var name in names)
                {
                    if (!_fragments.TryGetValue(name.Value, out var fragment))
                    {
                        var known = _fragments.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
                        var suggestion = SpecBinder.DidYouMean(name.Value, known.Select(k => (k, k)));
                        Report(SpecDescriptors.UnknownReference, name.Span,
                            $"unknown fragment '{name.Value}'.{suggestion} " +
                            (known.Count == 0 ? "No fragments are defined: define them under 'fragments:' at the top level of this spec or of a base it extends"
                                              : $"Defined fragments: {string.Join(", ", known)}"));
                        continue;
                    }

                    if (stack.Contains(name.Value))
                    {
                        Report(SpecDescriptors.UnknownReference, name.Span,
                            $"fragment cycle: {string.Join(" -> ", stack.Concat(new[] { name.Value }))}; a fragment cannot use itself");
                        continue;
                    }

                    var expanded = (YamlMapping)ExpandUses(fragment, stack.Concat(new[] { name.Value }).ToList());
                    accumulated = accumulated is null ? expanded : Merge(accumulated, expanded);
                }

                if (accumulated is null)
                {
                    return children;
                }

                // A key swept here replaces the fragment's single value.
                if (Find(children, "sweep")?.Value is YamlMapping swept)
                {
                    accumulated = Without(accumulated, swept.Entries.Select(e => e.Key.Value).ToArray());
                }

                return Merge(accumulated, children);
            }

            default:
                return node;
        }
    }

    private YamlNode Resolve(YamlNode node, List<string> stack)
    {
        switch (node)
        {
            case YamlSequence seq:
                return new YamlSequence(seq.Items.Select(i => Resolve(i, stack)).ToList(), seq.Span);
            case YamlMapping map:
                return new YamlMapping(map.Entries.Select(e => new YamlEntry(e.Key, Resolve(e.Value, stack))).ToList(), map.Span);
            case YamlScalar scalar when scalar.Value.IndexOf("${", StringComparison.Ordinal) >= 0 || scalar.Value.IndexOf("$${", StringComparison.Ordinal) >= 0:
                return ResolveScalar(scalar, stack);
            default:
                return node;
        }
    }

    private YamlNode ResolveScalar(YamlScalar scalar, List<string> stack)
    {
        var text = scalar.Value;
        var parts = new List<(bool IsReference, string Text)>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                literal.Append("${");
                i += 2;
            }
            else if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    Report(SpecDescriptors.UnknownReference, scalar.Span, $"unclosed reference in '{text}': write '${{section.key}}' (or '$${{' for a literal '${{')");
                    return new YamlInvalid(scalar.Span);
                }

                if (literal.Length > 0)
                {
                    parts.Add((false, literal.ToString()));
                    literal.Clear();
                }

                parts.Add((true, text.Substring(i + 2, close - i - 2).Trim()));
                i = close;
            }
            else
            {
                literal.Append(text[i]);
            }
        }

        if (literal.Length > 0)
        {
            parts.Add((false, literal.ToString()));
        }

        if (parts.Count == 1 && parts[0].IsReference)
        {
            var target = Lookup(parts[0].Text, scalar, stack);
            return target switch
            {
                null => new YamlInvalid(scalar.Span),
                YamlScalar s => new YamlScalar(s.Value, s.IsPlain, scalar.Span),
                // The top node takes the place (and position) of the reference; its children keep theirs.
                YamlMapping m => new YamlMapping(m.Entries, scalar.Span),
                YamlSequence q => new YamlSequence(q.Items, scalar.Span),
                _ => target,
            };
        }

        var sb = new StringBuilder();
        foreach (var (isReference, part) in parts)
        {
            if (!isReference)
            {
                sb.Append(part);
                continue;
            }

            var target = Lookup(part, scalar, stack);
            if (target is null)
            {
                return new YamlInvalid(scalar.Span);
            }

            if (target is not YamlScalar s)
            {
                Report(SpecDescriptors.UnknownReference, scalar.Span,
                    $"'${{{part}}}' is a {target.Describe()} and cannot be part of a string; reference it alone ('key: ${{{part}}}')");
                return new YamlInvalid(scalar.Span);
            }

            sb.Append(s.Value);
        }

        return new YamlScalar(sb.ToString(), scalar.IsPlain, scalar.Span);
    }

    /// <summary>The resolved node at a dotted path ("data.forget_authors", "unlearn.0.lr"), or null (reported).</summary>
    private YamlNode? Lookup(string reference, YamlScalar at, List<string> stack)
    {
        if (stack.Contains(reference) || stack.Count > MaxReferenceDepth)
        {
            Report(SpecDescriptors.UnknownReference, at.Span,
                $"reference cycle: {string.Join(" -> ", stack.Concat(new[] { reference }).Select(r => "${" + r + "}"))}; a value cannot refer to itself");
            return null;
        }

        const string Note = "references point at values written in this spec, its bases or 'vars:' (not at defaults)";
        var segments = reference.Split('.');
        YamlNode? node = _lookup;
        var walked = new List<string>();
        foreach (var segment in segments)
        {
            var where = walked.Count == 0 ? "the top level" : $"'{string.Join(".", walked)}'";
            switch (node)
            {
                case YamlMapping map:
                {
                    var entry = Find(map, segment);
                    if (entry is null)
                    {
                        var suggestion = SpecBinder.DidYouMean(segment, map.Entries.Select(e => (e.Key.Value, e.Key.Value)));
                        Report(SpecDescriptors.UnknownReference, at.Span,
                            $"unknown reference '${{{reference}}}': {where} has no key '{segment}'.{suggestion} Keys there: {string.Join(", ", map.Entries.Select(e => e.Key.Value))}; {Note}");
                        return null;
                    }

                    node = entry.Value;
                    break;
                }

                case YamlSequence seq:
                {
                    if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= seq.Items.Count)
                    {
                        Report(SpecDescriptors.UnknownReference, at.Span,
                            $"unknown reference '${{{reference}}}': {where} is a list of {seq.Items.Count} items; use an index 0..{seq.Items.Count - 1}");
                        return null;
                    }

                    node = seq.Items[index];
                    break;
                }

                default:
                    Report(SpecDescriptors.UnknownReference, at.Span,
                        $"unknown reference '${{{reference}}}': {where} is a {node?.Describe() ?? "missing value"}, it has no key '{segment}'; {Note}");
                    return null;
            }

            walked.Add(segment);
        }

        return node is null ? null : Resolve(node, stack.Concat(new[] { reference }).ToList());
    }

    private string Display(string fullPath)
        => _context.ProjectDirectory.Length > 0 ? SpecCompiler.MakeRelative(_context.ProjectDirectory, fullPath) : fullPath;

    private static bool IsNull(YamlNode node) => node is YamlScalar { IsNull: true };

    private static YamlEntry? Find(YamlMapping map, string key) => map.Entries.FirstOrDefault(e => string.Equals(e.Key.Value, key, StringComparison.Ordinal));

    private static YamlMapping Without(YamlMapping map, params string[] keys)
        => new(map.Entries.Where(e => !keys.Contains(e.Key.Value)).ToList(), map.Span);

    private void Report(SpecDescriptor descriptor, SourceSpan span, params string[] arguments) => _diagnostics.Add(SpecDiagnostic.Create(descriptor, _path, span, arguments));
}
