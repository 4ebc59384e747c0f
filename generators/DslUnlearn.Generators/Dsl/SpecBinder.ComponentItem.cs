using System.Globalization;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Binding of one item of a component section ('unlearn', 'metrics', 'attacks', a chain step, 'calibration'):
/// the selector, the section's fixed keys, the component's options and their sweeps, then the cells.
/// </summary>
internal sealed partial class SpecBinder
{
    /// <summary>What the steps of <see cref="BindComponentItem"/> share: the item, its component, and the options bound so far.</summary>
    private sealed class ComponentItem
    {
        public ComponentItem(SpecSection section, ComponentKind kind, YamlMapping map, string? noSweepNote, ComponentInfo component)
        {
            Section = section;
            Kind = kind;
            Map = map;
            NoSweepNote = noSweepNote;
            Component = component;
            ZipSpan = map.Span;
        }

        public SpecSection Section { get; }
        public ComponentKind Kind { get; }
        public YamlMapping Map { get; }
        public string? NoSweepNote { get; }
        public ComponentInfo Component { get; }
        public string Noun => ComponentCatalog.Noun(Kind);
        public bool SweepsAllowed => Section.Find("sweep") is not null;

        /// <summary>Options given one value.</summary>
        public Dictionary<string, (SpecValue Value, SourceSpan Span)> Set { get; } = new(StringComparer.Ordinal);

        /// <summary>Options given a list of values (inline or in 'sweep:'), in the order written.</summary>
        public List<(string Key, List<(SpecValue Value, string Text)> Values, SourceSpan Span)> Axes { get; } = new();

        public List<string> Zip { get; } = new();
        public SourceSpan ZipSpan { get; set; }
        public bool Failed { get; set; }

        public string ValidKeys() => string.Join(", ", Section.Keys.Where(k => k.Key is not ("sweep" or "chain")).Select(k => k.Key)
            .Concat(Component.Options.Select(o => o.Key)).Concat(SweepsAllowed ? new[] { "sweep" } : Array.Empty<string>()).Distinct());
    }

    /// <summary>
    /// Binds one item of a component section: the selector key (section.Discriminator), the section's fixed keys
    /// (returned in <paramref name="fixedValues"/>), and the component's options, with sweeps (list values or a
    /// 'sweep:' block) when the section has a 'sweep' key; <paramref name="noSweepNote"/> completes the message
    /// where it does not. Returns one cell per combination, or null when there are errors (reported).
    /// </summary>
    private List<ComponentCell>? BindComponentItem(SpecSection section, ComponentKind kind, YamlMapping map, string? noSweepNote,
        out ComponentInfo? component, out Dictionary<string, Bound> fixedValues)
    {
        fixedValues = new Dictionary<string, Bound>(StringComparer.Ordinal);
        var ownerSpan = map.Entries.Count > 0 ? map.Entries[0].Key.Span : map.Span;
        var entries = new Dictionary<string, YamlEntry>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            entries[entry.Key.Value] = entry;
        }

        component = BindSelector(section, kind, entries, ownerSpan, out var selectorScalar);
        if (component is null)
        {
            return null;
        }

        var item = new ComponentItem(section, kind, map, noSweepNote, component);
        fixedValues[section.Discriminator!] = new Bound(new SpecString(component.Name), selectorScalar!.Span, true);
        BindFixedKeys(item, entries, ownerSpan, fixedValues);
        var sweepEntry = BindItemOptions(item);
        if (sweepEntry is not null)
        {
            BindSweepBlock(item, sweepEntry);
        }

        foreach (var option in component.Options.Where(o => o.Required && !item.Set.ContainsKey(o.Key) && item.Axes.All(a => a.Key != o.Key)))
        {
            Report(SpecDescriptors.MissingRequired, selectorScalar.Span,
                $"{item.Noun} '{component.Name}' needs '{option.Key}' ({option.Expected}{(option.Help.Length > 0 ? ": " + option.Help : string.Empty)}); add '{option.Key}: ...'");
            item.Failed = true;
        }

        if (item.Zip.Count > 0 && !item.Failed)
        {
            CheckZip(item);
        }

        return item.Failed ? null : ExpandCells(item);
    }

    /// <summary>The selector ('method: ga'): the component it names, or null when reported.</summary>
    private ComponentInfo? BindSelector(SpecSection section, ComponentKind kind, Dictionary<string, YamlEntry> entries, SourceSpan ownerSpan, out YamlScalar? selectorScalar)
    {
        selectorScalar = null;
        var noun = ComponentCatalog.Noun(kind);
        var selector = section.Discriminator!;
        if (!entries.TryGetValue(selector, out var selectorEntry) || selectorEntry.Value is YamlScalar { IsNull: true })
        {
            var span = selectorEntry?.Key.Span ?? ownerSpan;
            var names = _schema.Catalog.OfKind(kind).Select(c => c.Name).ToList();
            Report(SpecDescriptors.MissingRequired, span, selectorEntry is null
                ? $"missing required key '{selector}' in {section.DisplayName}; add '{selector}: <one of {(names.Count == 0 ? "(no " + noun + "s in this build)" : string.Join(", ", names))}>'"
                : $"'{selector}' has no value but is required; write '{selector}: <one of {string.Join(", ", names)}>'");
            return null;
        }

        if (selectorEntry.Value is YamlInvalid)
        {
            return null;
        }

        if (selectorEntry.Value is not YamlScalar scalar)
        {
            Report(SpecDescriptors.WrongType, selectorEntry.Value.Span, $"'{selector}' expects a {noun} name, got {selectorEntry.Value.Describe()}");
            return null;
        }

        selectorScalar = scalar;
        if (_schema.Catalog.Find(kind, scalar.Value) is { } found)
        {
            return found;
        }

        var candidates = _schema.Catalog.OfKind(kind).ToList();
        if (candidates.Count == 0)
        {
            Report(SpecDescriptors.UnknownComponent, scalar.Span,
                $"unknown {noun} '{scalar.Value}': no {noun}s are available in this build; a {noun} is a public class marked " +
                $"[{AttributeName(kind)}(\"{scalar.Value}\")] in an assembly the experiments project references");
        }
        else
        {
            var suggestion = DidYouMean(scalar.Value, candidates.SelectMany(c => new[] { (c.Name, c.Name), (TypeAlias(c), c.Name) }));
            Report(SpecDescriptors.UnknownComponent, scalar.Span,
                $"unknown {noun} '{scalar.Value}'.{suggestion} Valid {noun}s: {string.Join(", ", candidates.Select(c => c.Name))}");
        }

        return null;
    }

    /// <summary>The section's own keys other than the selector, 'sweep' and 'chain' (name, splits).</summary>
    private void BindFixedKeys(ComponentItem item, Dictionary<string, YamlEntry> entries, SourceSpan ownerSpan, Dictionary<string, Bound> fixedValues)
    {
        foreach (var key in item.Section.Keys.Where(k => k.Key != item.Section.Discriminator && k.Key is not ("sweep" or "chain")))
        {
            if ((!entries.ContainsKey(key.Key) && key.Default is null && !key.Required) ||
                (entries.TryGetValue(key.Key, out var both) && both.Value is YamlSequence && item.Component.Find(key.Key) is not null))
            {
                continue;
            }

            var bound = BindKey(item.Section, key, entries, ownerSpan, fixedValues, null);
            fixedValues[key.Key] = bound;
            item.Failed |= bound.Value is null && (entries.ContainsKey(key.Key) || key.Default is not null || key.Required);
        }
    }

    /// <summary>The item's option entries (one value, or a list: an axis); returns the 'sweep:' entry, bound afterwards.</summary>
    private YamlEntry? BindItemOptions(ComponentItem item)
    {
        YamlEntry? sweepEntry = null;
        foreach (var entry in item.Map.Entries)
        {
            var name = entry.Key.Value;
            if (name == item.Section.Discriminator)
            {
                continue;
            }

            if (name == "sweep" && item.SweepsAllowed)
            {
                sweepEntry = entry;
                continue;
            }

            var option = item.Component.Find(name);
            if (option is null)
            {
                var isFixed = item.Section.Find(name) is { } fk && fk.Key is not ("sweep" or "chain");
                if (!isFixed)
                {
                    ReportNotAnOption(item, entry);
                    item.Failed = true;
                }

                continue;
            }

            if (entry.Value is YamlSequence values)
            {
                AddAxis(item, option, values, entry.Key.Span, item.SweepsAllowed);
                continue;
            }

            var single = BindOption(option, entry.Value);
            if (single is null)
            {
                item.Failed = true;
            }
            else
            {
                item.Set[option.Key] = (single, entry.Value.Span);
            }
        }

        return sweepEntry;
    }

    /// <summary>A key of the item that is neither a section key nor an option of its component.</summary>
    private void ReportNotAnOption(ComponentItem item, YamlEntry entry)
    {
        var name = entry.Key.Value;
        var (section, component, noun) = (item.Section, item.Component, item.Noun);
        if (name == "sweep")
        {
            Report(SpecDescriptors.NotSweepable, entry.Key.Span, section.DisplayName, string.Empty,
                string.IsNullOrEmpty(item.NoSweepNote) ? "remove the 'sweep' block" : item.NoSweepNote!.TrimStart(';', ' '));
            return;
        }

        var owners = _schema.Catalog.OfKind(item.Kind).Where(c => c.Find(name) is not null).Select(c => $"'{c.Name}'").ToList();
        if (owners.Count > 0)
        {
            Report(SpecDescriptors.UnknownKey, entry.Key.Span,
                $"'{name}' is not an option of {noun} '{component.Name}' (only of {noun}{(owners.Count > 1 ? "s" : "")} {string.Join(", ", owners)}). Valid keys for {noun} '{component.Name}': {item.ValidKeys()}");
            return;
        }

        var suggestion = DidYouMean(name, section.Keys.Where(k => k.Key is not ("sweep" or "chain")).SelectMany(k => new[] { (k.Key, k.Key) }.Concat(k.Aliases.Select(a => (a, k.Key))))
            .Concat(component.Options.SelectMany(o => new[] { (o.Key, o.Key) }.Concat(o.Aliases.Select(a => (a, o.Key))))));
        Report(SpecDescriptors.UnknownKey, entry.Key.Span,
            $"unknown key '{name}' in {section.DisplayName}.{suggestion} Valid keys for {noun} '{component.Name}': {item.ValidKeys()}");
    }

    private void AddAxis(ComponentItem item, SpecKey option, YamlSequence values, SourceSpan keySpan, bool sweepsAllowed)
    {
        var axis = BindAxis(option, values, keySpan, sweepsAllowed, item.Section, item.NoSweepNote);
        if (axis is null)
        {
            item.Failed = true;
        }
        else
        {
            item.Axes.Add((option.Key, axis, keySpan));
        }
    }

    /// <summary>The 'sweep:' block: option -> list, plus an optional 'zip: [keys]' that vary together.</summary>
    private void BindSweepBlock(ComponentItem item, YamlEntry sweepEntry)
    {
        var component = item.Component;
        if (sweepEntry.Value is not YamlMapping sweep)
        {
            Report(SpecDescriptors.MalformedSweep, sweepEntry.Value.Span, "'sweep'",
                "a mapping of option -> list of values (e.g. 'sweep: { lr: [1e-4, 2e-4] }')", sweepEntry.Value.Describe(), string.Empty);
            item.Failed = true;
            return;
        }

        foreach (var entry in sweep.Entries)
        {
            if (entry.Key.Value == "zip")
            {
                item.ZipSpan = entry.Value.Span;
                if (entry.Value is YamlSequence zipList && zipList.Items.All(i => i is YamlScalar))
                {
                    item.Zip.AddRange(zipList.Items.Cast<YamlScalar>().Select(i => i.Value));
                }
                else
                {
                    Report(SpecDescriptors.MalformedSweep, entry.Value.Span, "'zip'", "a list of swept keys that vary together (e.g. 'zip: [lr, steps]')", entry.Value.Describe(), string.Empty);
                    item.Failed = true;
                }

                continue;
            }

            var option = component.Find(entry.Key.Value);
            if (option is null)
            {
                var suggestion = DidYouMean(entry.Key.Value, component.Options.SelectMany(o => new[] { (o.Key, o.Key) }.Concat(o.Aliases.Select(a => (a, o.Key)))));
                Report(SpecDescriptors.UnknownKey, entry.Key.Span,
                    $"unknown key '{entry.Key.Value}' in 'sweep'.{suggestion} Options of {item.Noun} '{component.Name}': {string.Join(", ", component.Options.Select(o => o.Key))}; and 'zip'");
                item.Failed = true;
                continue;
            }

            if (item.Set.ContainsKey(option.Key) || item.Axes.Any(a => a.Key == option.Key))
            {
                Report(SpecDescriptors.SweptTwice, entry.Key.Span, option.Key, "in the item");
                item.Failed = true;
                continue;
            }

            if (entry.Value is not YamlSequence values)
            {
                Report(SpecDescriptors.MalformedSweep, entry.Value.Span, $"'{option.Key}' in 'sweep'", $"a list of values (e.g. '{option.Key}: [a, b]')",
                    entry.Value.Describe(), "; a single value goes in the item itself");
                item.Failed = true;
                continue;
            }

            AddAxis(item, option, values, entry.Key.Span, sweepsAllowed: true);
        }
    }

    /// <summary>Zipped keys must be swept and have lists of the same length.</summary>
    private void CheckZip(ComponentItem item)
    {
        var (zip, axes) = (item.Zip, item.Axes);
        var unknown = zip.Where(z => axes.All(a => a.Key != z)).ToList();
        if (unknown.Count > 0)
        {
            Report(SpecDescriptors.ZipUnsweptKey, item.ZipSpan, string.Join(", ", unknown.Select(u => $"'{u}'")), unknown.Count == 1 ? "is" : "are",
                axes.Count == 0 ? "none" : string.Join(", ", axes.Select(a => a.Key)));
            item.Failed = true;
            return;
        }

        if (SweepGrid.ZipLengthMismatch(zip, z => z, z => axes.First(a => a.Key == z).Values.Count) is { } lengths)
        {
            Report(SpecDescriptors.ZipLengthMismatch, item.ZipSpan, lengths);
            item.Failed = true;
        }
    }

    /// <summary>One cell per grid point (a zip group counts once), in the order the keys are written; null when too many (reported).</summary>
    private List<ComponentCell>? ExpandCells(ComponentItem item)
    {
        var grid = SweepGrid.Expand(item.Axes, a => item.Zip.Contains(a.Key), a => a.Values.Count, MaxCells, out var overflow);
        if (grid is null)
        {
            Report(SpecDescriptors.SweepTooLarge, overflow.Span, "sweep", MaxCells.ToString(CultureInfo.InvariantCulture));
            return null;
        }

        var cells = new List<ComponentCell>();
        foreach (var picks in grid)
        {
            var values = item.Set.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal);
            foreach (var (axis, index) in picks)
            {
                values[axis.Key] = axis.Values[index].Value;
            }

            // The cell id in group order: the keys as written, zip partners next to each other.
            var id = picks.Count == 0 ? null : string.Join(",", picks.Select(p => $"{p.Axis.Key}={p.Axis.Values[p.Index].Text}"));
            cells.Add(new ComponentCell(id, Construct(item.Component, values)));
        }

        return cells;
    }
}
