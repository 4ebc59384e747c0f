using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The static stage plan of a compiled spec (<c>Plans</c>, one per cell): the stages of <see cref="StageShape"/> (the
/// file the runtime builds its graph from, linked into this project) with the key options of
/// <see cref="StageShape.KeyParts"/> rendered from the resolved spec as key lines. What only the run knows is written
/// <c>&lt;run time: why&gt;</c>. docs/engine-and-artifacts.md, "The stage plan".
/// </summary>
internal static class PlanEmitter
{
    private const string Engine = "global::DslUnlearn.Engine.";

    /// <summary>Writes <c>Plans</c> and its IExperiment member.</summary>
    public static void Write(SourceWriter w, ExperimentModel model)
    {
        var specs = model.Cells.Count > 0 ? model.Cells.Select(c => (Cell: (string?)c.Id, c.Spec)).ToList() : new List<(string?, SpecObject)> { (null, model.Spec) };
        w.Line("/// <summary>");
        w.Line("/// The static stage plan, one per cell: every stage a run builds, its kind, inputs and the options that enter its key");
        w.Line("/// (<c>&lt;run time: ...&gt;</c>: known only to the run). A stage's static key hashes what the build knows of its key and");
        w.Line("/// its inputs' static keys, so a YAML change moves exactly the stages it re-runs. `run --dry-run` builds the same stages.");
        w.Line("/// </summary>");
        w.Line($"public static {Engine}StaticPlan[] Plans {{ get; }} = new {Engine}StaticPlan[]");
        w.OpenBrace();
        foreach (var (cell, spec) in specs)
        {
            WritePlan(w, model, cell, spec);
        }

        w.CloseBrace(";");
        w.Line();
        w.Line($"global::System.Collections.Generic.IReadOnlyList<{Engine}StaticPlan> global::DslUnlearn.Pipeline.IExperiment.Plans => Plans;");
        w.Line();
    }

    private static void WritePlan(SourceWriter w, ExperimentModel model, string? cell, SpecObject spec)
    {
        var plan = Build(spec, model.KeyNeutral);
        w.Line($"new {Engine}StaticPlan({(cell is null ? "null" : Emitter.Literal(cell))},");
        w.Indent();
        w.Line($"new {Engine}PlanGroup[]");
        w.OpenBrace();
        foreach (var g in plan.Groups)
        {
            w.Line($"new {Engine}PlanGroup({Emitter.Literal(g.Key)},");
            w.Indent();
            for (var i = 0; i < g.Value.Count; i++)
            {
                w.Line(Emitter.Literal(g.Value[i]) + (i == g.Value.Count - 1 ? ")," : ","));
            }

            w.Unindent();
        }

        w.CloseBrace(",");
        w.Line($"new {Engine}PlannedStage[]");
        w.OpenBrace();
        foreach (var s in plan.Stages)
        {
            var inputs = s.Stage.Inputs.Length == 0 ? "new string[0]" : "new[] { " + string.Join(", ", s.Stage.Inputs.Select(Emitter.Literal)) + " }";
            var head = $"new({Emitter.Literal(s.Stage.Id)}, {Emitter.Literal(s.Stage.Kind)}, {Emitter.Literal(s.StaticKey)}, {inputs}";
            if (s.Key.Count == 0)
            {
                w.Line(head + "),");
                continue;
            }

            w.Line(head + ",");
            w.Indent();
            for (var i = 0; i < s.Key.Count; i++)
            {
                w.Line(Emitter.Literal(s.Key[i]) + (i == s.Key.Count - 1 ? ")," : ","));
            }

            w.Unindent();
        }

        w.CloseBrace("),");
        w.Unindent();
    }

    internal sealed class Planned
    {
        public Planned(ShapedStage stage, List<string> key, string staticKey)
        {
            Stage = stage;
            Key = key;
            StaticKey = staticKey;
        }

        public ShapedStage Stage { get; }
        public List<string> Key { get; }
        public string StaticKey { get; }
    }

    internal sealed class Plan
    {
        public List<KeyValuePair<string, List<string>>> Groups { get; } = new List<KeyValuePair<string, List<string>>>();
        public List<Planned> Stages { get; } = new List<Planned>();
    }

    /// <summary>The plan of one resolved spec; <paramref name="neutral"/> the key-neutral keys its stage keys leave out at their neutral value.</summary>
    internal static Plan Build(SpecObject spec, IReadOnlyList<KeyNeutral> neutral)
    {
        var plan = new Plan();
        var staticKeys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var stage in StageShape.Of(ShapeInput(spec)))
        {
            var key = new List<string>();
            var expanded = new List<string>();
            foreach (var part in StageShape.KeyParts(stage, neutral))
            {
                var lines = PartLines(part, spec, stage);
                if (lines.Count == 0)
                {
                    continue;
                }

                expanded.AddRange(lines.Select(l => Under(part.Name, l)));
                if (part.Shared)
                {
                    var name = "@" + part.Name;
                    if (!plan.Groups.Any(g => g.Key == name))
                    {
                        plan.Groups.Add(new KeyValuePair<string, List<string>>(name, lines));
                    }

                    key.Add(part.Name + " = " + name);
                }
                else
                {
                    key.AddRange(lines.Select(l => Under(part.Name, l)));
                }
            }

            // the seed enters every runtime key (a pool member's own seed, else the spec's)
            var digest = new StringBuilder().Append(stage.Id).Append('\n').Append(stage.Kind).Append('\n')
                .Append("seed ").Append((stage.Seed ?? Seed(spec)).ToString(CultureInfo.InvariantCulture)).Append('\n');
            foreach (var line in expanded)
            {
                digest.Append(line).Append('\n');
            }

            foreach (var input in stage.Inputs)
            {
                digest.Append("input ").Append(input).Append(' ').Append(staticKeys[input]).Append('\n');
            }

            staticKeys[stage.Id] = Sha256(digest.ToString()).Substring(0, 12);
            plan.Stages.Add(new Planned(stage, key, staticKeys[stage.Id]));
        }

        return plan;
    }

    /// <summary>The shape-deciding facts of a resolved spec (as the runtime's StagedExperimentRunner.ShapeInput reads them from ExperimentSpec).</summary>
    internal static StageShapeInput ShapeInput(SpecObject spec)
    {
        var finetune = spec.Get("Finetune") as SpecObject;
        return new StageShapeInput(
            spec.Get("Testbed") is SpecObject,
            finetune?.Get("Oracle") is SpecBool { Value: true },
            Names(spec.Get("Unlearn")),
            Names(spec.Get("Attacks")),
            spec.Get("Calibration") is SpecObject,
            Seed(spec),
            MeasuresForget(spec) ? PoolSeeds(spec) : null,
            MeasuresForget(spec) ? PoolSizes(spec) : null);
    }

    private static int Seed(SpecObject spec) => spec.Get("Seed") is SpecInt seed ? seed.Value : 0;

    /// <summary>meta_eval.faithfulness.seeds, or none.</summary>
    private static List<int>? PoolSeeds(SpecObject spec)
        => (spec.Get("MetaEval") as SpecObject)?.Get("Faithfulness") is SpecObject f && f.Get("Seeds") is SpecList seeds
            ? seeds.Items.OfType<SpecInt>().Select(i => i.Value).ToList()
            : null;

    /// <summary>meta_eval.faithfulness.sizes as stage-id labels (the runtime's StagedExperimentRunner.ShapeInput labels them the same way), or none.</summary>
    private static List<string>? PoolSizes(SpecObject spec)
    {
        int? Int(SpecObject size, string property) => size.Get(property) is SpecInt i ? i.Value : (int?)null;
        return (spec.Get("MetaEval") as SpecObject)?.Get("Faithfulness") is SpecObject f && f.Get("Sizes") is SpecList sizes
            ? sizes.Items.OfType<SpecObject>().Select(z => StageShape.SizeLabel(Int(z, "HiddenSize"), Int(z, "Layers"), Int(z, "IntermediateSize"))).ToList()
            : null;
    }

    /// <summary>Some metric is measured on the forget split (the faithfulness pools are evaluated there).</summary>
    private static bool MeasuresForget(SpecObject spec)
        => spec.Get("Metrics") is SpecList metrics && metrics.Items.OfType<SpecObject>()
            .Any(m => m.Get("Splits") is SpecList splits && splits.Items.OfType<SpecEnum>().Any(e => e.Member == "Forget"));

    private static List<string> Names(SpecValue? list)
        => list is SpecList l ? l.Items.OfType<SpecObject>().Select(i => i.Get("Name") is SpecString s ? s.Value : "").ToList() : new List<string>();

    /// <summary>A part's key lines, relative to the part ("" or " = value" for the part itself, "x.y = value" below it).</summary>
    private static List<string> PartLines(KeyPart part, SpecObject spec, ShapedStage stage)
    {
        var leaves = new List<KeyValuePair<string, string>>();
        foreach (var fill in part.Fills)
        {
            var value = Resolve(spec, fill.From, stage);
            if (value is null)
            {
                continue;
            }

            if (fill.At.StartsWith("[*]", StringComparison.Ordinal) && value is SpecList zipped)
            {
                for (var i = 0; i < zipped.Items.Count; i++)
                {
                    Flatten(zipped.Items[i], "[" + i.ToString(CultureInfo.InvariantCulture) + "]" + fill.At.Substring(3), leaves);
                }
            }
            else
            {
                Flatten(value, fill.At, leaves);
            }
        }

        leaves = leaves.Where(l => !part.Drops.Any(d => Dropped(d, l.Key, l.Value))).ToList();
        if (part.RunTimeWhen is { } when && leaves.Count == 1 && leaves[0].Key.Length == 0 && leaves[0].Value == Json(when))
        {
            leaves.Clear();
        }
        else if (part.RunTimeWhen is not null)
        {
            return leaves.Select(Line).ToList(); // a known value (device: cpu): nothing is left to the run
        }

        if (part.Fills.Length > 0 && leaves.Count == 0 && part.RunTime.Length == 0)
        {
            return new List<string>(); // dropped as a whole (dtype float32, retain_split retain): not in the key
        }

        var lines = leaves.Select(Line).ToList();
        foreach (var r in part.RunTime)
        {
            var colon = r.IndexOf(": ", StringComparison.Ordinal);
            var path = r.Substring(0, colon);
            lines.Add(path + " = " + StaticPlanRunTime + (part.Optional ? ", when present" : "") + ": " + r.Substring(colon + 2) + ">");
        }

        return lines;
    }

    private const string StaticPlanRunTime = "<run time";

    private static string Line(KeyValuePair<string, string> leaf) => leaf.Key + " = " + leaf.Value;

    /// <summary>Paths relative to the part: "" is the part itself.</summary>
    private static string Leaf(string path) => path;

    private static string Under(string part, string relative)
        => relative.StartsWith(" = ", StringComparison.Ordinal) || relative.StartsWith("[", StringComparison.Ordinal) ? part + relative
            : relative.Length == 0 ? part : part + "." + relative;

    /// <summary>"oracle" drops that path (and below); "testbed if null" only when null; " if float32" the part itself when it is "float32"; [*] is any index.</summary>
    private static bool Dropped(string drop, string path, string value)
    {
        var at = drop.IndexOf(" if ", StringComparison.Ordinal);
        var dropPath = at < 0 ? drop : drop.Substring(0, at);
        if (at >= 0 && value != Json(drop.Substring(at + 4)) && value != drop.Substring(at + 4))
        {
            return false;
        }

        // A conditional drop is of the path's own value: "meta_eval if null" must not drop a null meta_eval.faithfulness.
        return Matches(dropPath, path, belowToo: at < 0);
    }

    private static bool Matches(string pattern, string path, bool belowToo)
    {
        var parts = pattern.Split('[');
        if (parts.Length == 1)
        {
            return path == pattern || (belowToo && pattern.Length > 0 && (path.StartsWith(pattern + ".", StringComparison.Ordinal) || path.StartsWith(pattern + "[", StringComparison.Ordinal)));
        }

        // one [*] wildcard: prefix[<digits>]rest
        var star = pattern.IndexOf("[*]", StringComparison.Ordinal);
        var prefix = pattern.Substring(0, star) + "[";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var close = path.IndexOf(']', prefix.Length);
        return close > 0 && Matches(pattern.Substring(star + 3), path.Substring(close + 1), belowToo);
    }

    /// <summary>The spec value at a KeyFill path: "Finetune.Lr", "Unlearn[ga].Method", "ForgetMetrics[*].Name" (a list), "" (the spec).</summary>
    private static SpecValue? Resolve(SpecValue? value, string path, ShapedStage stage)
    {
        if (path.Length == 0 || value is null)
        {
            return value;
        }

        var dot = path.IndexOf('.');
        var head = dot < 0 ? path : path.Substring(0, dot);
        var rest = dot < 0 ? "" : path.Substring(dot + 1);
        var bracket = head.IndexOf('[');
        var property = bracket < 0 ? head : head.Substring(0, bracket);
        var next = Member(value, property);
        if (bracket < 0)
        {
            return Resolve(next, rest, stage);
        }

        var selector = head.Substring(bracket + 1, head.Length - bracket - 2);
        if (next is not SpecList list)
        {
            return null;
        }

        if (selector == "*")
        {
            return new SpecList(list.ElementType, list.Items.Select(i => Resolve(i, rest, stage) ?? SpecNull.Instance).ToEquatableArray());
        }

        // Names are never parsed out of the path: they may hold dots and brackets (gd[lr=5.0e-4]).
        var name = selector == "@model" ? stage.Model : selector == "@attack" ? stage.Attack : selector;
        return Resolve(list.Items.OfType<SpecObject>().FirstOrDefault(i => i.Get("Name") is SpecString s && s.Value == name), rest, stage);
    }

    /// <summary>A property of a spec object; of a constructed value (<c>new CalibrationMetric("es_exact", ...)</c>), Name is its first string argument.</summary>
    private static SpecValue? Member(SpecValue value, string property) => value switch
    {
        SpecObject o => o.Get(property),
        SpecNew n when property == "Name" => n.Arguments.OfType<SpecString>().FirstOrDefault(),
        _ => null,
    };

    /// <summary>Leaves (relative path, canonical JSON) of a value, with snake_case names as the runtime's key JSON has them.</summary>
    private static void Flatten(SpecValue value, string path, List<KeyValuePair<string, string>> leaves)
    {
        switch (value)
        {
            case SpecObject o:
                foreach (var p in o.Properties)
                {
                    Flatten(p.Value, Join(path, StageShape.SnakeCase(p.Name)), leaves);
                }

                break;
            case SpecList l when l.Items.All(IsScalar):
                leaves.Add(new KeyValuePair<string, string>(Leaf(path), "[" + string.Join(",", l.Items.Select(Json)) + "]"));
                break;
            case SpecList l:
                for (var i = 0; i < l.Items.Count; i++)
                {
                    var item = path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                    if (l.Items[i] is SpecObject element)
                    {
                        // CanonicalJson names the runtime type of every object in a list (its declared element type may be abstract).
                        leaves.Add(new KeyValuePair<string, string>(Join(item, "$type"), Json(TypeName(element.Type))));
                    }

                    Flatten(l.Items[i], item, leaves);
                }

                break;
            case SpecNew n when n.Arguments.Count == 1 && n.Arguments[0] is SpecObject options:
                // A component: its set options are known; its defaults, other properties and type name come from the compiled component.
                leaves.Add(new KeyValuePair<string, string>(Leaf(path), StaticPlanRunTime + ": " + TypeName(n.Type) + ", its defaults and type from the compiled component>"));
                Flatten(options, Join(path, "options"), leaves);
                break;
            case SpecNew n:
                leaves.Add(new KeyValuePair<string, string>(Leaf(path), StaticPlanRunTime + ": a " + TypeName(n.Type) + " built by the runtime>"));
                if (n.Arguments.FirstOrDefault() is SpecString name)
                {
                    leaves.Add(new KeyValuePair<string, string>(Join(path, "name"), Json(name)));
                }

                break;
            default:
                leaves.Add(new KeyValuePair<string, string>(Leaf(path), Json(value)));
                break;
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static bool IsScalar(SpecValue v) => v is not SpecObject && v is not SpecList && v is not SpecNew;

    private static string TypeName(string type)
    {
        var t = type.StartsWith("global::", StringComparison.Ordinal) ? type.Substring(8) : type;
        return t.Substring(t.LastIndexOf('.') + 1);
    }

    /// <summary>A scalar as canonical JSON (numbers shortest round-trip; enums snake_case, as the runtime's CanonicalJson writes them).</summary>
    private static string Json(SpecValue value) => value switch
    {
        SpecInt i => i.Value.ToString(CultureInfo.InvariantCulture),
        SpecNumber n when double.IsNaN(n.Value) || double.IsInfinity(n.Value) => Json(n.Value.ToString("R", CultureInfo.InvariantCulture)),
        SpecNumber n => n.Value.ToString("R", CultureInfo.InvariantCulture),
        SpecString s => Json(s.Value),
        SpecEnum e => Json(StageShape.SnakeCase(e.Member)),
        SpecBool b => b.Value ? "true" : "false",
        SpecNull => "null",
        _ => throw new InvalidOperationException("not a scalar: " + value.GetType().Name),
    };

    /// <summary>A JSON string literal (the catalog's writer: one escaping rule for both).</summary>
    private static string Json(string s) => CatalogData.Str(s);

    private static string Sha256(string text)
    {
        using var sha = SHA256.Create();
        var bytes = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        var sb = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes)
        {
            sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
