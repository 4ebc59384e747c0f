using System.Globalization;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Binding of the component sections (unlearn, attacks, metrics, calibration) against the discovered
/// <see cref="ComponentCatalog"/>, sweeps, and paths.
/// </summary>
internal sealed partial class SpecBinder
{
    /// <summary>More cells than this in one item is almost certainly a mistake.</summary>
    public const int MaxCells = 1000;

    private const string Specs = "global::DslUnlearn.Specs.";

    private Bound BindPath(SpecKey key, YamlNode node, string label)
    {
        if (node is not YamlScalar s || s.IsNull || s.Value.Trim().Length == 0)
        {
            return WrongType(key, node, label);
        }

        var written = s.Value.Trim();
        if (_context.ProjectDirectory.Length == 0)
        {
            return new Bound(new SpecString(written.Replace('\\', '/')), node.Span, true);
        }

        // Relative to the file the value is written in (a base file's paths are relative to the base).
        var file = node.Span.File ?? _path;
        var full = PathText.Combine(PathText.Parent(PathText.Normalize(file)), written);
        if (!_context.AllowedRoots.Any(r => PathText.IsInside(full, r)))
        {
            Report(SpecDescriptors.PathOutsideRoots, node.Span,
                $"{label} '{written}' resolves to {full}, outside the allowed roots ({string.Join(", ", _context.AllowedRoots)}); " +
                "paths are relative to the spec file and must stay inside the repository or a declared data root (MSBuild property DslUnlearnDataRoots)");
            return Bound.Failed(node.Span);
        }

        return new Bound(new SpecString(PathText.Relative(_context.RepositoryRoot, full)), node.Span, true);
    }

    private Bound BindComponents(SpecKey key, YamlNode node, string label)
    {
        var kind = key.ComponentItems!.Value;
        if (kind == ComponentKind.Calibrator)
        {
            if (node is YamlScalar { IsNull: true } || node is YamlScalar { IsPlain: true, Value: "none" })
            {
                return new Bound(SpecNull.Instance, node.Span, true);
            }

            if (node is not YamlMapping calibration)
            {
                Report(SpecDescriptors.WrongType, node.Span,
                    $"{label} expects a mapping ('calibrator: <name>' and its options) or 'none', got {node.Describe()}");
                return Bound.Failed(node.Span);
            }

            var item = BindComponentItem(_schema.CalibrationSection, kind, calibration, null, out var component, out var fixedValues);
            if (item is null || component is null)
            {
                return Bound.Failed(node.Span);
            }

            var criterion = CalibrationMetrics(calibration, fixedValues, "retain_metric", component.Name);
            var forget = CalibrationMetrics(calibration, fixedValues, "forget_metrics", component.Name);
            if (criterion is null || forget is null || fixedValues["retain_split"].Value is not { } retainSplit)
            {
                return Bound.Failed(node.Span);
            }

            // Calibration builds its metrics with default options; some read lower = more knowledge on forget only
            // ([Metric(..., LowerIsBetterOnForget = true)]: truth_ratio's closer_to_1 default there), as the runner checks too.
            if (retainSplit is SpecEnum { Member: "Forget" } && fixedValues["retain_metric"].Value is SpecString criterionName
                && _schema.Catalog.Find(ComponentKind.Metric, criterionName.Value) is { LowerIsBetterOnForget: true } onForget)
            {
                var at = calibration.Entries.FirstOrDefault(e => e.Key.Value == "retain_metric")?.Value.Span ?? fixedValues["retain_split"].Span;
                Report(SpecDescriptors.CalibrationCriterionLowerIsBetter, at, onForget.Name,
                    "es_exact, em, rouge_l_recall or answer_prob (on the forget split its default aggregation makes lower mean more knowledge)");
                return Bound.Failed(node.Span);
            }

            return new Bound(ItemRecord(_schema.CalibrationSection, With(fixedValues, ("retain_metric", criterion[0]),
                ("forget_metrics", new SpecList(Specs + "CalibrationMetric", forget.ToEquatableArray()))), item[0].Construct, null), node.Span, true);
        }

        if (node is not YamlSequence seq)
        {
            return WrongType(key, node, label);
        }

        var items = new List<SpecValue>();
        var failed = false;
        var names = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
        foreach (var itemNode in seq.Items)
        {
            if (itemNode is YamlInvalid)
            {
                failed = true;
                continue;
            }

            if (itemNode is not YamlMapping map)
            {
                Report(SpecDescriptors.WrongType, itemNode.Span,
                    $"each item of {label} expects a mapping (e.g. '- {key.Section!.Discriminator}: ...'), got {itemNode.Describe()}");
                failed = true;
                continue;
            }

            var produced = kind switch
            {
                ComponentKind.Method => BindUnlearnItem(map),
                ComponentKind.Metric => BindMetricItem(map),
                _ => BindAttackItem(map),
            };
            if (produced is null)
            {
                failed = true;
                continue;
            }

            foreach (var (value, name, span) in produced)
            {
                if (names.TryGetValue(name, out var first))
                {
                    if (kind == ComponentKind.Metric)
                    {
                        Report(SpecDescriptors.DuplicateValue, span, $"metric '{name}'", label, $"line {Line(first)}", "list each metric once, with all its splits");
                    }
                    else
                    {
                        Report(SpecDescriptors.DuplicateItemName, span, label, name, Line(first), "name");
                    }

                    failed = true;
                    continue;
                }

                names.Add(name, span);
                items.Add(value);
            }
        }

        if (failed)
        {
            return Bound.Failed(node.Span);
        }

        return new Bound(new SpecList(key.Section!.CSharpType, items.ToEquatableArray()), node.Span, true);
    }

    private List<(SpecValue Value, string Name, SourceSpan Span)>? BindUnlearnItem(YamlMapping map)
    {
        var section = _schema.UnlearnItem;
        var cells = BindComponentItem(section, ComponentKind.Method, map, "", out var component, out var fixedValues);
        if (cells is null || component is null)
        {
            return null;
        }

        var nameBound = fixedValues.TryGetValue("name", out var nb) && nb.Value is SpecString ns ? (ns.Value, nb.Span) : ((string, SourceSpan)?)null;
        var label = nameBound?.Item1 ?? component.Name;
        var labelSpan = nameBound?.Item2 ?? fixedValues["method"].Span;
        return cells.Select(cell =>
        {
            var name = cell.Id is null ? label : $"{label}[{cell.Id}]";
            return ((SpecValue)ItemRecord(section, With(fixedValues, ("name", new SpecString(name))), cell.Construct, cell.Id), name, labelSpan);
        }).ToList();
    }

    private List<(SpecValue Value, string Name, SourceSpan Span)>? BindMetricItem(YamlMapping map)
    {
        var section = _schema.MetricItem;
        var cells = BindComponentItem(section, ComponentKind.Metric, map, "; list the splits under 'splits:' instead", out var component, out var fixedValues);
        if (cells is null || component is null || fixedValues["splits"].Value is not { } splits)
        {
            return null;
        }

        var value = ItemRecord(section, With(fixedValues, ("splits", splits)), cells[0].Construct, null);
        _metricUses.Add((component, fixedValues["metric"].Span));
        return new List<(SpecValue, string, SourceSpan)> { (value, component.Name, fixedValues["metric"].Span) };
    }

    private List<(SpecValue Value, string Name, SourceSpan Span)>? BindAttackItem(YamlMapping map)
    {
        var section = _schema.AttackItem;
        var chainEntry = map.Entries.FirstOrDefault(e => e.Key.Value == "chain");
        var attackEntry = map.Entries.FirstOrDefault(e => e.Key.Value == "attack");
        var nameEntry = map.Entries.FirstOrDefault(e => e.Key.Value == "name");
        string? explicitName = null;
        if (nameEntry is not null)
        {
            var bound = BindValue(section.Find("name")!, nameEntry.Value, "'name'");
            if (bound.Value is not SpecString named)
            {
                return null;
            }

            explicitName = named.Value;
        }

        if (chainEntry is null)
        {
            if (attackEntry is null)
            {
                Report(SpecDescriptors.MissingRequired, map.Entries.Count > 0 ? map.Entries[0].Key.Span : map.Span,
                    $"an 'attacks' item needs 'attack: <name>' or 'chain: [...]'; valid attacks: {ValidNames(ComponentKind.Attack)}");
                return null;
            }

            var cells = BindComponentItem(section, ComponentKind.Attack, map, "", out var component, out var fixedValues);
            if (cells is null || component is null)
            {
                return null;
            }

            var label = explicitName ?? component.Name;
            return cells.Select(cell =>
            {
                var name = cell.Id is null ? label : $"{label}[{cell.Id}]";
                var step = ItemRecord(_schema.AttackStep, With(null, ("attack", new SpecString(component.Name))), cell.Construct, null);
                return ((SpecValue)Pipeline(name, new SpecValue[] { step }, cell.Id), name, fixedValues["attack"].Span);
            }).ToList();
        }

        var failed = false;
        foreach (var entry in map.Entries.Where(e => e.Key.Value is not ("chain" or "name")))
        {
            Report(SpecDescriptors.UnknownKey, entry.Key.Span, entry.Key.Value == "attack"
                ? "an 'attacks' item has either 'attack:' (one attack) or 'chain:' (several in order), not both; move this attack into the chain"
                : $"'{entry.Key.Value}' is not valid beside 'chain:'; valid keys: name, chain (options go on each chain item)");
            failed = true;
        }

        if (chainEntry.Value is not YamlSequence { Items.Count: > 0 } chain)
        {
            Report(SpecDescriptors.WrongType, chainEntry.Value.Span,
                $"'chain' expects a non-empty list of attacks (e.g. '- attack: ...'), got {chainEntry.Value.Describe()}");
            return null;
        }

        var steps = new List<SpecValue>();
        var stepNames = new List<string>();
        foreach (var item in chain.Items)
        {
            if (item is not YamlMapping stepMap)
            {
                if (item is not YamlInvalid)
                {
                    Report(SpecDescriptors.WrongType, item.Span, $"each item of 'chain' expects a mapping (e.g. '- attack: ...'), got {item.Describe()}");
                }

                failed = true;
                continue;
            }

            var cells = BindComponentItem(_schema.AttackStep, ComponentKind.Attack, stepMap, "; sweep the whole pipeline by listing it several times", out var component, out _);
            if (cells is null || component is null)
            {
                failed = true;
                continue;
            }

            stepNames.Add(component.Name);
            steps.Add(ItemRecord(_schema.AttackStep, With(null, ("attack", new SpecString(component.Name))), cells[0].Construct, null));
        }

        if (failed)
        {
            return null;
        }

        var pipelineName = explicitName ?? string.Join("+", stepNames);
        return new List<(SpecValue, string, SourceSpan)> { (Pipeline(pipelineName, steps, null), pipelineName, nameEntry?.Value.Span ?? chainEntry.Key.Span) };
    }

    private SpecObject Pipeline(string name, IEnumerable<SpecValue> steps, string? cell)
        => ItemRecord(_schema.AttackItem, With(null, ("name", new SpecString(name)), ("chain", new SpecList(_schema.AttackStep.CSharpType, steps.ToEquatableArray()))), null, cell);

    /// <summary>The cell id's property on the records a sweep makes (<c>ExperimentSpec</c>, <c>UnlearnSpec</c>, <c>AttackSpec</c>).</summary>
    private const string CellProperty = "Cell";

    /// <summary>
    /// An item record in its record's declaration order (<see cref="SpecSection.Properties"/>): each declared key's value from
    /// <paramref name="keyValues"/> (keys not there are left to the record's initializer), the constructed component at the
    /// record's component property, and the sweep cell at <see cref="CellProperty"/>.
    /// </summary>
    private static SpecObject ItemRecord(SpecSection section, IReadOnlyDictionary<string, SpecValue> keyValues, SpecValue? component, string? cell)
    {
        var properties = new List<SpecProperty>();
        foreach (var property in section.Properties)
        {
            SpecValue? value = section.Keys.FirstOrDefault(k => k.Property == property) is { } key
                ? keyValues.TryGetValue(key.Key, out var v) ? v : null
                : property == section.ComponentProperty ? component
                : property == CellProperty ? cell is null ? SpecNull.Instance : new SpecString(cell)
                : throw new InvalidOperationException($"{section.CSharpType}.{property} is neither a key nor the component nor the cell: declare it with [Option]");
            if (value is not null)
            {
                properties.Add(new SpecProperty(property, value));
            }
        }

        return new SpecObject(section.CSharpType, properties.ToEquatableArray());
    }

    /// <summary>The bound values of an item's keys (<paramref name="bound"/>; null = none) with the binder's own for some of them.</summary>
    private static Dictionary<string, SpecValue> With(Dictionary<string, Bound>? bound, params (string Key, SpecValue Value)[] values)
    {
        var result = new Dictionary<string, SpecValue>(StringComparer.Ordinal);
        foreach (var pair in bound ?? new Dictionary<string, Bound>())
        {
            if (pair.Value.Value is { } value)
            {
                result[pair.Key] = value;
            }
        }

        foreach (var (key, value) in values)
        {
            result[key] = value;
        }

        return result;
    }

    /// <summary>
    /// The metric names of a calibration key ('retain_metric' or 'forget_metrics'), each checked against the
    /// catalog at the line it is written on, as <c>new CalibrationMetric(name, new XMetric(new Options()))</c>
    /// with default options. Null when a name is unknown (reported).
    /// </summary>
    private List<SpecValue>? CalibrationMetrics(YamlMapping calibration, Dictionary<string, Bound> fixedValues, string key, string calibrator)
    {
        if (!fixedValues.TryGetValue(key, out var bound) || bound.Value is not { } value)
        {
            return null;
        }

        var written = calibration.Entries.FirstOrDefault(e => e.Key.Value == key)?.Value;
        var names = new List<(string Name, SourceSpan Span)>();
        if (value is SpecString one)
        {
            names.Add((one.Value, written?.Span ?? bound.Span));
        }
        else if (value is SpecList list)
        {
            var spans = written is YamlSequence seq ? seq.Items.Select(i => i.Span).ToList() : new List<SourceSpan>();
            for (var i = 0; i < list.Items.Count; i++)
            {
                names.Add((((SpecString)list.Items[i]).Value, i < spans.Count ? spans[i] : bound.Span));
            }
        }

        var result = new List<SpecValue>();
        var failed = false;
        foreach (var (name, span) in names)
        {
            var metric = _schema.Catalog.Find(ComponentKind.Metric, name);
            if (metric is null)
            {
                var candidates = _schema.Catalog.OfKind(ComponentKind.Metric).ToList();
                var suggestion = DidYouMean(name, candidates.SelectMany(c => new[] { (c.Name, c.Name), (TypeAlias(c), c.Name) }));
                Report(SpecDescriptors.UnknownComponent, span, written is null
                    ? $"calibrator '{calibrator}': its default {key} names metric '{name}', which is not in this build; set '{key}:' to metrics that are. Valid metrics: {ValidNames(ComponentKind.Metric)}"
                    : $"unknown metric '{name}' in calibration '{key}'.{suggestion} Valid metrics: {ValidNames(ComponentKind.Metric)}");
                failed = true;
                continue;
            }

            if (metric.Options.Any(o => o.Required))
            {
                Report(SpecDescriptors.CalibrationMetricNeedsOptions, span, metric.Name, string.Join(", ", metric.Options.Where(o => o.Required).Select(o => o.Key)));
                failed = true;
                continue;
            }

            // The search assumes higher is better; the metric's attribute says when lower is ([Metric(..., LowerIsBetter = true)]).
            if (key == "retain_metric" && metric.LowerIsBetter)
            {
                Report(SpecDescriptors.CalibrationCriterionLowerIsBetter, span, metric.Name, "es_exact, em, rouge_l_recall or answer_prob");
                failed = true;
                continue;
            }

            _metricUses.Add((metric, span));
            result.Add(new SpecNew(Specs + "CalibrationMetric", new SpecValue[]
            {
                new SpecString(metric.Name),
                Construct(metric, new Dictionary<string, SpecValue>(StringComparer.Ordinal)),
            }.ToEquatableArray()));
        }

        return failed ? null : result;
    }

    private string ValidNames(ComponentKind kind)
    {
        var names = _schema.Catalog.OfKind(kind).Select(c => c.Name).ToList();
        return names.Count == 0 ? "none in this build" : string.Join(", ", names);
    }

    /// <summary>One constructed component of a cell, and the cell id (null when the item is not swept).</summary>
    private sealed class ComponentCell
    {
        public ComponentCell(string? id, SpecValue construct)
        {
            Id = id;
            Construct = construct;
        }

        public string? Id { get; }

        public SpecValue Construct { get; }
    }

    private static SpecValue Construct(ComponentInfo component, Dictionary<string, SpecValue> values)
    {
        var properties = component.Options.Where(o => values.ContainsKey(o.Key)).Select(o => new SpecProperty(o.Property, values[o.Key])).ToEquatableArray();
        return new SpecNew(component.TypeName, new SpecValue[] { new SpecObject(component.OptionsType, properties) }.ToEquatableArray());
    }

    private List<(SpecValue Value, string Text)>? BindAxis(SpecKey option, YamlSequence values, SourceSpan keySpan, bool sweepsAllowed,
        SpecSection section, string? noSweepNote)
    {
        if (!sweepsAllowed)
        {
            Report(SpecDescriptors.NotSweepable, values.Span, $"'{option.Key}'", $": it has a list of values, but sweeps are not supported in {section.DisplayName}{noSweepNote}", "give one value");
            return null;
        }

        if (!option.Sweepable)
        {
            Report(SpecDescriptors.NotSweepable, values.Span, $"'{option.Key}'", " (its option is marked Sweepable = false)", "give one value");
            return null;
        }

        if (values.Items.Count == 0)
        {
            Report(SpecDescriptors.EmptySweep, values.Span, option.Key);
            return null;
        }

        var result = new List<(SpecValue, string)>();
        var seen = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
        var ok = true;
        foreach (var item in values.Items)
        {
            if (item is YamlSequence or YamlMapping)
            {
                Report(SpecDescriptors.WrongType, item.Span, $"each value of the sweep of '{option.Key}' expects {option.Expected}, got {item.Describe()}");
                ok = false;
                continue;
            }

            var value = BindOption(option, item);
            if (value is null)
            {
                ok = false;
                continue;
            }

            var text = item is YamlScalar s ? s.Value : value.ToString();
            if (seen.TryGetValue(text, out var first))
            {
                Report(SpecDescriptors.DuplicateValue, item.Span, $"'{text}'", $"the sweep of '{option.Key}'", $"line {Line(first)}", "list each value once");
                ok = false;
                continue;
            }

            seen.Add(text, item.Span);
            result.Add((value, text));
        }

        return ok ? result : null;
    }

    /// <summary>One value of a component option (a list is an axis, bound value by value); null when reported.</summary>
    private SpecValue? BindOption(SpecKey option, YamlNode node)
        => node is YamlScalar { IsNull: true } && option.Nullable ? SpecNull.Instance : BindValue(option, node, $"'{option.Key}'").Value;

    /// <summary>GradientAscent -> gradient_ascent, EsExactMetric -> es_exact: the class name as a did-you-mean alias.</summary>
    private static string TypeAlias(ComponentInfo c)
    {
        var name = c.TypeName.Substring(c.TypeName.LastIndexOf('.') + 1);
        foreach (var suffix in new[] { "Method", "Metric", "Attack", "Calibrator" })
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal))
            {
                name = name.Substring(0, name.Length - suffix.Length);
            }
        }

        return ComponentCatalog.SnakeCase(name);
    }

    private static string AttributeName(ComponentKind kind) => kind switch
    {
        ComponentKind.Method => "UnlearningMethod",
        ComponentKind.Metric => "Metric",
        ComponentKind.Attack => "Attack",
        _ => "Calibrator",
    };
}
