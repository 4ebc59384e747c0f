using System.Globalization;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Experiment-level sweeps: a list value at a key its record declares <c>[Option(Sweepable = true)]</c> (<c>seed</c>,
/// the number and name keys of <c>data</c>, <c>model</c> and <c>finetune</c>), or a top-level <c>sweep:</c> block of dotted keys (<c>finetune.lr: [1e-3, 3e-3]</c>, optional
/// <c>zip: [seed, finetune.lr]</c>), makes one whole experiment per combination (grid). Each cell is the composed
/// YAML with one value per swept key, bound like any spec, so every cell gets the same checks and defaults. Cell ids
/// list the swept keys in schema order (seed, data, model, finetune; keys in reference order), each with its value as
/// written: <c>seed=2,finetune.lr=3e-3</c>. Cells are in grid order: the first key varies slowest.
/// </summary>
internal sealed partial class SpecBinder
{
    /// <summary>The top-level block of experiment-level sweeps.</summary>
    public const string ExperimentSweepKey = "sweep";

    /// <summary>
    /// Whether <paramref name="key"/> of a top-level section (or of the top level) may take a list of values: its record
    /// says <c>[Option(Sweepable = true)]</c> (seed, and the numbers and names of data, model and finetune but data.source).
    /// </summary>
    internal static bool IsExperimentSweepable(SpecKey key) => key.IsUserKey && key.Sweepable && key.Kind != SpecValueKind.Section;

    /// <summary>The top-level sections with a sweepable key (data, model, finetune), for the message.</summary>
    private IEnumerable<string> SweepableSections()
        => _schema.Root.Keys.Where(k => SweptSection(k) is not null).Select(k => k.Key);

    /// <summary>The nested section of a top-level key when it has a sweepable key, else null.</summary>
    private static SpecSection? SweptSection(SpecKey rootKey)
        => rootKey is { Kind: SpecValueKind.Section, Section: { } section } && section.Keys.Any(IsExperimentSweepable) ? section : null;

    /// <summary>Every experiment-level sweepable key, dotted, in schema order (seed, data.authors, ..., finetune.max_grad_norm).</summary>
    internal IEnumerable<string> ExperimentSweepableKeys()
    {
        foreach (var key in _schema.Root.Keys.Where(k => k.IsUserKey))
        {
            if (IsExperimentSweepable(key))
            {
                yield return key.Key;
            }
            else if (SweptSection(key) is { } section)
            {
                foreach (var inner in section.Keys.Where(IsExperimentSweepable))
                {
                    yield return key.Key + "." + inner.Key;
                }
            }
        }
    }

    /// <summary>One swept key.</summary>
    /// <param name="Key">Dotted: "seed", "finetune.lr".</param>
    /// <param name="Order">Position in schema order (for stable cell ids).</param>
    private sealed record ExperimentAxis(string Key, string? Section, string Name, YamlScalar KeyNode, YamlSequence Values, int Order);

    /// <summary>One experiment-level cell: its id and the composed YAML with one value per swept key.</summary>
    private sealed record ExperimentCellMap(string Id, YamlMapping Map);

    /// <summary>
    /// Splits the composed top-level mapping into experiment cells. Returns an empty list when nothing is swept at
    /// the experiment level (<paramref name="stripped"/> is then the mapping without a 'sweep:' block), or null when
    /// the sweep is invalid (reported).
    /// </summary>
    private List<ExperimentCellMap>? ExpandExperimentSweeps(YamlMapping map, out YamlMapping stripped)
    {
        stripped = new YamlMapping(map.Entries.Where(e => e.Key.Value != ExperimentSweepKey).ToList(), map.Span);
        var order = ExperimentSweepableKeys().Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i, StringComparer.Ordinal);
        var axes = new List<ExperimentAxis>();
        var failed = false;

        // Inline lists: seed: [1, 2], finetune: { lr: [1e-3, 3e-3] }.
        foreach (var entry in map.Entries)
        {
            var rootKey = _schema.Root.Find(entry.Key.Value);
            if (rootKey is null)
            {
                continue;
            }

            if (entry.Value is YamlSequence seq && IsExperimentSweepable(rootKey))
            {
                axes.Add(new ExperimentAxis(rootKey.Key, null, rootKey.Key, entry.Key, seq, order[rootKey.Key]));
            }
            else if (entry.Value is YamlMapping section && SweptSection(rootKey) is { } schemaSection)
            {
                foreach (var inner in section.Entries)
                {
                    if (inner.Value is YamlSequence innerSeq && schemaSection.Find(inner.Key.Value) is { } key && IsExperimentSweepable(key))
                    {
                        var dotted = rootKey.Key + "." + key.Key;
                        axes.Add(new ExperimentAxis(dotted, rootKey.Key, key.Key, inner.Key, innerSeq, order[dotted]));
                    }
                }
            }
        }

        // The block: sweep: { seed: [1, 2], finetune.lr: [...], zip: [seed, finetune.lr] }.
        var zip = new List<YamlScalar>();
        SourceSpan? zipSpan = null;
        var block = map.Entries.FirstOrDefault(e => e.Key.Value == ExperimentSweepKey);
        if (block is not null)
        {
            if (block.Value is not YamlMapping sweep || sweep.Entries.Count == 0)
            {
                Report(SpecDescriptors.MalformedSweep, block.Value.Span, "the top-level 'sweep'",
                    "a mapping of swept keys to lists of values (e.g. 'sweep: { seed: [1, 2], finetune.lr: [1e-3, 3e-3] }')",
                    block.Value is YamlMapping ? "an empty mapping" : block.Value.Describe(), string.Empty);
                return null;
            }

            foreach (var entry in sweep.Entries)
            {
                var name = entry.Key.Value;
                if (name == "zip")
                {
                    if (entry.Value is YamlSequence zipList && zipList.Items.All(i => i is YamlScalar))
                    {
                        zip.AddRange(zipList.Items.Cast<YamlScalar>());
                        zipSpan = entry.Value.Span;
                    }
                    else
                    {
                        Report(SpecDescriptors.MalformedSweep, entry.Value.Span, "'zip'",
                            "a list of swept keys that vary together (e.g. 'zip: [seed, finetune.lr]')", entry.Value.Describe(), string.Empty);
                        failed = true;
                    }

                    continue;
                }

                if (!order.TryGetValue(name, out var position))
                {
                    ReportNotSweepableKey(entry.Key);
                    failed = true;
                    continue;
                }

                if (entry.Value is not YamlSequence values)
                {
                    Report(SpecDescriptors.MalformedSweep, entry.Value.Span, $"'{name}' in 'sweep'", $"a list of values (e.g. '{name}: [a, b]')",
                        entry.Value.Describe(), "; a single value goes in the spec itself");
                    failed = true;
                    continue;
                }

                if (axes.FirstOrDefault(a => a.Key == name) is { } inline)
                {
                    Report(SpecDescriptors.SweptTwice, entry.Key.Span, name, $"as a list at line {Line(inline.KeyNode.Span)}");
                    failed = true;
                    continue;
                }

                var dot = name.IndexOf('.');
                axes.Add(dot < 0
                    ? new ExperimentAxis(name, null, name, entry.Key, values, position)
                    : new ExperimentAxis(name, name.Substring(0, dot), name.Substring(dot + 1), entry.Key, values, position));
            }
        }

        if (axes.Count == 0 && zip.Count == 0)
        {
            return failed ? null : new List<ExperimentCellMap>();
        }

        // Each axis: a non-empty list of distinct scalars (types and ranges are checked when each cell binds).
        foreach (var axis in axes)
        {
            if (axis.Values.Items.Count == 0)
            {
                Report(SpecDescriptors.EmptySweep, axis.Values.Span, axis.Key);
                failed = true;
                continue;
            }

            var seen = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
            foreach (var item in axis.Values.Items)
            {
                if (item is YamlInvalid)
                {
                    failed = true;
                }
                else if (item is not YamlScalar s || s.IsNull)
                {
                    Report(SpecDescriptors.WrongType, item.Span, $"each value of the sweep of '{axis.Key}' expects one value (a number or a name), got {item.Describe()}");
                    failed = true;
                }
                else if (seen.TryGetValue(s.Value, out var first))
                {
                    Report(SpecDescriptors.DuplicateValue, item.Span, $"'{s.Value}'", $"the sweep of '{axis.Key}'", $"line {Line(first)}", "list each value once");
                    failed = true;
                }
                else
                {
                    seen.Add(s.Value, item.Span);
                }
            }
        }

        var zipped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var z in zip)
        {
            if (axes.All(a => a.Key != z.Value))
            {
                Report(SpecDescriptors.ZipUnsweptKey, z.Span, $"'{z.Value}'", "is", axes.Count == 0 ? "none" : string.Join(", ", axes.Select(a => a.Key)));
                failed = true;
            }
            else
            {
                zipped.Add(z.Value);
            }
        }

        if (!failed && zipped.Count > 0)
        {
            var members = axes.Where(a => zipped.Contains(a.Key)).ToList();
            if (SweepGrid.ZipLengthMismatch(members, a => a.Key, a => a.Values.Items.Count) is { } lengths)
            {
                Report(SpecDescriptors.ZipLengthMismatch, zipSpan ?? map.Span, lengths);
                failed = true;
            }
        }

        if (failed)
        {
            stripped = Neutral(stripped, axes);
            return null;
        }

        // Schema order; a zip group is one axis at the position of its first member.
        axes.Sort((a, b) => a.Order.CompareTo(b.Order));
        var grid = SweepGrid.Expand(axes, a => zipped.Contains(a.Key), a => a.Values.Items.Count, MaxCells, out var overflow);
        if (grid is null)
        {
            Report(SpecDescriptors.SweepTooLarge, overflow!.KeyNode.Span, "experiment sweep", MaxCells.ToString(CultureInfo.InvariantCulture));
            stripped = Neutral(stripped, axes);
            return null;
        }

        var cells = new List<ExperimentCellMap>();
        foreach (var grouped in grid)
        {
            var picks = grouped.Select(p => (p.Axis, Value: (YamlScalar)p.Axis.Values.Items[p.Index])).ToList();
            var id = string.Join(",", picks.OrderBy(p => p.Axis.Order).Select(p => $"{p.Axis.Key}={p.Value.Value}"));
            cells.Add(new ExperimentCellMap(id, WithValues(stripped, picks)));
        }

        return cells;
    }

    /// <summary>After a reported sweep error: each swept key set to its first value, so binding the rest reports only other problems.</summary>
    private static YamlMapping Neutral(YamlMapping map, List<ExperimentAxis> axes)
    {
        var usable = axes.Where(a => a.Values.Items.Count > 0 && a.Values.Items[0] is YamlScalar).ToList();
        var result = WithValues(map, usable.Select(a => (a, (YamlScalar)a.Values.Items[0])).ToList());

        // A swept key with no usable value is dropped (its default applies) rather than reported again.
        foreach (var axis in axes.Except(usable))
        {
            result = axis.Section is null
                ? new YamlMapping(result.Entries.Where(e => e.Key.Value != axis.Name).ToList(), result.Span)
                : new YamlMapping(result.Entries.Select(e => e.Key.Value == axis.Section && e.Value is YamlMapping m
                    ? new YamlEntry(e.Key, new YamlMapping(m.Entries.Where(i => i.Key.Value != axis.Name).ToList(), m.Span))
                    : e).ToList(), result.Span);
        }

        return result;
    }

    /// <summary>
    /// Binds every cell like a whole spec and returns the model whose <see cref="ExperimentModel.Spec"/> is the first cell and whose
    /// <see cref="ExperimentModel.Cells"/> are all of them; a problem found in several cells is reported once.
    /// </summary>
    private ExperimentModel? BindCells(List<ExperimentCellMap> cellMaps, SourceSpan owner, int errorsBefore)
    {
        var start = _diagnostics.Count;
        var cells = new List<ExperimentCell>();
        SourceSpan? nameSpan = null;
        foreach (var cell in cellMaps)
        {
            var bound = BindSection(_schema.Root, cell.Map, owner);
            if (bound.Object is { } obj)
            {
                var properties = obj.Properties.Concat(new[] { new SpecProperty(CellProperty, new SpecString(cell.Id)) }).ToEquatableArray();
                cells.Add(new ExperimentCell(cell.Id, new SpecObject(obj.Type, properties)));
                nameSpan ??= bound.Values["experiment"].Span;
            }
        }

        // The same problem in every cell (a typo outside the swept keys) is one diagnostic.
        var added = _diagnostics.Skip(start).Distinct().ToList();
        _diagnostics.RemoveRange(start, _diagnostics.Count - start);
        _diagnostics.AddRange(added);
        if (cells.Count != cellMaps.Count || ErrorCount > errorsBefore || nameSpan is null)
        {
            return null;
        }

        var spec = cells[0].Spec;
        var name = ((SpecString)spec.Get("Name")!).Value;
        var description = ((SpecString)spec.Get("Description")!).Value;
        return new ExperimentModel(name, SpecCompiler.ClassNameOf(name), _relativePath, description,
            new SpecLocation(nameSpan.File ?? _path, nameSpan), spec)
        {
            Cells = cells.ToEquatableArray(),
        };
    }

    /// <summary>The top-level mapping with each swept key set to one value (sections created when absent).</summary>
    private static YamlMapping WithValues(YamlMapping map, List<(ExperimentAxis Axis, YamlScalar Value)> picks)
    {
        var entries = map.Entries.ToList();
        foreach (var (axis, value) in picks)
        {
            if (axis.Section is null)
            {
                Set(entries, axis.Name, axis.KeyNode, value);
                continue;
            }

            var index = entries.FindIndex(e => e.Key.Value == axis.Section);
            if (index < 0)
            {
                var key = new YamlScalar(axis.Section, true, axis.KeyNode.Span);
                entries.Add(new YamlEntry(key, new YamlMapping(new[] { new YamlEntry(new YamlScalar(axis.Name, true, axis.KeyNode.Span), value) }, axis.KeyNode.Span)));
            }
            else if (entries[index].Value is YamlMapping section)
            {
                var inner = section.Entries.ToList();
                Set(inner, axis.Name, new YamlScalar(axis.Name, true, axis.KeyNode.Span), value);
                entries[index] = new YamlEntry(entries[index].Key, new YamlMapping(inner, section.Span));
            }

            // Otherwise the section is not a mapping: binding reports it.
        }

        return new YamlMapping(entries, map.Span);
    }

    private static void Set(List<YamlEntry> entries, string name, YamlScalar keyNode, YamlNode value)
    {
        var index = entries.FindIndex(e => e.Key.Value == name);
        if (index >= 0)
        {
            entries[index] = new YamlEntry(entries[index].Key, value);
        }
        else
        {
            entries.Add(new YamlEntry(keyNode, value));
        }
    }

    private void ReportNotSweepableKey(YamlScalar keyNode)
    {
        var name = keyNode.Value;
        var valid = ExperimentSweepableKeys().ToList();
        var dot = name.IndexOf('.');
        var section = dot < 0 ? null : name.Substring(0, dot);
        var inner = dot < 0 ? name : name.Substring(dot + 1);
        var rootKey = _schema.Root.Find(section ?? inner);
        var exists = section is null
            ? rootKey is not null
            : rootKey is { Kind: SpecValueKind.Section } && rootKey.Section!.Find(inner) is not null;
        if (exists)
        {
            Report(SpecDescriptors.NotSweepable, keyNode.Span, $"'{name}'",
                $" (experiment-level sweeps take numbers and names from a fixed list in seed, {string.Join(", ", SweepableSections())}; not paths, strings, device, data.source or report)",
                $"sweepable keys: {string.Join(", ", valid)}; method and attack options are swept in their 'unlearn'/'attacks' item");
            return;
        }

        var suggestion = DidYouMean(name, valid.Select(v => (v, v)));
        Report(SpecDescriptors.UnknownKey, keyNode.Span,
            $"unknown key '{name}' in the top-level 'sweep'.{suggestion} Sweepable keys: {string.Join(", ", valid)}; and 'zip'");
    }
}
