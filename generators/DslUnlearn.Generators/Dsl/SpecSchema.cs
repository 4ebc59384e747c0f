using System.Globalization;

namespace DslUnlearn.Generators.Dsl;

/// <summary>An allowed numeric range.</summary>
internal sealed record SpecRange(double? Min, bool MinExclusive, double? Max)
{
    public static SpecRange AtLeast(double min) => new(min, false, null);

    public static SpecRange Positive { get; } = new(0, true, null);

    public static SpecRange Between(double min, double max) => new(min, false, max);

    public bool Contains(double value)
        => (Min is not { } min || (MinExclusive ? value > min : value >= min)) && (Max is not { } max || value <= max);

    /// <summary>"in 2..1000", "&gt; 0 and &lt;= 1" (exclusive minimum), "&gt;= 1", "&gt; 0".</summary>
    public string Describe()
    {
        if (Min is { } min && Max is { } max)
        {
            // "in 0..1" would read as if 0 were allowed.
            return MinExclusive ? $"> {Format(min)} and <= {Format(max)}" : $"in {Format(min)}..{Format(max)}";
        }

        if (Min is { } lo)
        {
            return (MinExclusive ? "> " : ">= ") + Format(lo);
        }

        return Max is { } hi ? "<= " + Format(hi) : "any value";
    }

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>One named component, e.g. the unlearning method <c>ga</c> (C# member <c>Ga</c>).</summary>
internal sealed class SpecComponent
{
    public SpecComponent(string name, string member, string help, params string[] aliases)
    {
        Name = name;
        Member = member;
        Help = help;
        Aliases = aliases;
    }

    public string Name { get; }

    /// <summary>The enum member (ignored for string-backed components).</summary>
    public string Member { get; }

    public string Help { get; }

    /// <summary>Other spellings people use; they only feed "did you mean".</summary>
    public IReadOnlyList<string> Aliases { get; }
}

/// <summary>The valid names of one built-in name set, from the <c>[Choice]</c>s of its key (SpecSchema.NameSet).</summary>
internal sealed class SpecComponentSet
{
    public SpecComponentSet(string kind, string? enumType, params SpecComponent[] members)
    {
        Kind = kind;
        EnumType = enumType;
        Members = members;
    }

    /// <summary>"method", "metric", "split", "device", "preset", "data source".</summary>
    public string Kind { get; }

    /// <summary>The C# enum the names map to (fully qualified with global::); null for string-backed names.</summary>
    public string? EnumType { get; }

    public IReadOnlyList<SpecComponent> Members { get; }

    public SpecComponent? Find(string name) => Members.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));

    public string ValidNames => string.Join(", ", Members.Select(m => m.Name));
}

/// <summary>A cross-key rule of a section: runs when all <see cref="Keys"/> bound without error.</summary>
internal sealed class SpecCheck
{
    public SpecCheck(IReadOnlyList<string> keys, IReadOnlyList<string> reportAt, Func<SpecCheckValues, string?> validate)
        : this(keys, reportAt, v => validate(v) is { } message ? new[] { new SpecRuleBreak(message) } : Array.Empty<SpecRuleBreak>())
    {
    }

    /// <summary>A rule that can break in several places, each reported at its own (<see cref="SpecRuleBreak.Path"/>).</summary>
    public SpecCheck(IReadOnlyList<string> keys, IReadOnlyList<string> reportAt, Func<SpecCheckValues, IEnumerable<SpecRuleBreak>> breaks)
    {
        Keys = keys;
        ReportAt = reportAt;
        Breaks = breaks;
    }

    public IReadOnlyList<string> Keys { get; }

    /// <summary>Where to report, by preference: the first of these keys written in the file, else the section.</summary>
    public IReadOnlyList<string> ReportAt { get; }

    /// <summary>The messages (with the fix) of the broken rules; none when the rule holds.</summary>
    public Func<SpecCheckValues, IEnumerable<SpecRuleBreak>> Breaks { get; }
}

/// <summary>
/// One broken rule: its message, and where in the section's YAML it is, as keys and list indices
/// (<c>meta_eval, faithfulness, sizes, 0</c>); empty, or not written in the file, = the check's <see cref="SpecCheck.ReportAt"/>.
/// </summary>
internal sealed class SpecRuleBreak
{
    public SpecRuleBreak(string message, params object[] path)
    {
        Message = message;
        Path = path;
    }

    public string Message { get; }

    public IReadOnlyList<object> Path { get; }
}

/// <summary>The bound values of a section, for <see cref="SpecCheck"/>s.</summary>
internal sealed class SpecCheckValues
{
    private readonly IReadOnlyDictionary<string, SpecValue> _values;

    public SpecCheckValues(IReadOnlyDictionary<string, SpecValue> values) => _values = values;

    public int Int(string key) => ((SpecInt)_values[key]).Value;

    /// <summary>A nullable integer key: null when it is ~.</summary>
    public int? IntOrNull(string key) => _values[key] is SpecInt i ? i.Value : null;

    /// <summary>The YAML name of a component-valued key (data source, split...).</summary>
    public string? Name(string key) => _values[key] switch
    {
        SpecEnum e => e.Name,
        SpecString s => s.Value,
        _ => null,
    };

    public double Number(string key) => ((SpecNumber)_values[key]).Value;

    public SpecValue Value(string key) => _values[key];
}

/// <summary>A mapping of the spec: its keys in C# declaration order, and its rules.</summary>
internal sealed class SpecSection
{
    /// <summary>How messages name it: "the top level", "'data'", "an 'unlearn' item".</summary>
    public string DisplayName { get; init; } = "";

    /// <summary>The record it becomes, fully qualified with global::.</summary>
    public string CSharpType { get; init; } = "";

    public IReadOnlyList<SpecKey> Keys { get; init; } = Array.Empty<SpecKey>();

    public IReadOnlyList<SpecCheck> Checks { get; init; } = Array.Empty<SpecCheck>();

    /// <summary>Item records: the record's settable properties in declaration order (<see cref="SectionInfo.Properties"/>), the order the binder builds it in.</summary>
    public IReadOnlyList<string> Properties { get; init; } = Array.Empty<string>();

    /// <summary>Item records: the property that holds the constructed component (<see cref="SectionInfo.ComponentProperty"/>).</summary>
    public string? ComponentProperty { get; init; }

    /// <summary>Item records: the kind of that component (<see cref="SectionInfo.ComponentKind"/>).</summary>
    public ComponentKind? ComponentKind { get; init; }

    /// <summary>The key that picks the item's component (method) and selects which <see cref="SpecKey.OnlyFor"/> keys apply
    /// (data.source): the record's <c>[Option(Discriminator = true)]</c> or <c>[ItemKey(Discriminator = true)]</c>.</summary>
    public string? Discriminator => Keys.FirstOrDefault(k => k.IsDiscriminator)?.Key;

    /// <summary>For list items: this key's value must be unique within the list (unlearn names).</summary>
    public string? UniqueKey { get; init; }

    public SpecKey? Find(string name) => Keys.FirstOrDefault(k => k.IsUserKey && string.Equals(k.Key, name, StringComparison.Ordinal));

    /// <summary>The keys users may write here, given the discriminator value (null = all).</summary>
    public IEnumerable<SpecKey> UserKeys(string? discriminatorValue)
        => Keys.Where(k => k.IsUserKey && (k.OnlyFor.Count == 0 || discriminatorValue is null || k.OnlyFor.Contains(discriminatorValue)));
}

/// <summary>The schema of a spec file, as a table. Built from a set of component names.</summary>
internal sealed partial class SpecSchema
{
    private const string Specs = "global::DslUnlearn.Specs.";

    private SpecSchema(SpecSection root, ComponentCatalog catalog)
    {
        Root = root;
        Catalog = catalog;
    }

    /// <summary>The schema without any discovered component (methods, metrics... are then all unknown).</summary>
    public static SpecSchema Default { get; } = Create(ComponentCatalog.Empty);

    public SpecSection Root { get; }

    public ComponentCatalog Catalog { get; }

    /// <summary>Item sections of the component lists: the keys that are not component options.</summary>
    public SpecSection UnlearnItem { get; private set; } = new();

    public SpecSection MetricItem { get; private set; } = new();

    public SpecSection AttackItem { get; private set; } = new();

    public SpecSection AttackStep { get; private set; } = new();

    public SpecSection CalibrationSection { get; private set; } = new();

    public static SpecSchema Create(ComponentCatalog catalog)
    {
        // The rules between keys of data: and model:, the one thing their records cannot say.
        var data = DeclaredSection(catalog, "Vocabulary.DataSpec", "data",
            new SpecCheck(new[] { "authors", "forget_authors" }, new[] { "forget_authors", "authors" }, v =>
            {
                int authors = v.Int("authors"), forget = v.Int("forget_authors");
                return forget < authors
                    ? null
                    : $"forget_authors ({forget}) must be less than authors ({authors}): at least one author has to stay in the retain split; " +
                      $"use forget_authors in 1..{authors - 1} or raise authors";
            }),
            new SpecCheck(new[] { "source", "authors", "forget_authors", "retain_eval_authors" }, new[] { "retain_eval_authors" }, v =>
            {
                int retain = v.Int("authors") - v.Int("forget_authors");
                return v.Name("source") != "synthetic" || v.IntOrNull("retain_eval_authors") is not { } e || e < retain || (e == 1 && retain == 1)
                    ? null
                    : $"retain_eval_authors ({e}) must be less than the {retain} retain authors (authors - forget_authors): at least one retain author must stay " +
                      $"for retain terms to train on; use 1..{System.Math.Max(1, retain - 1)} or ~ for the default";
            }),
            new SpecCheck(new[] { "source", "retain_eval_authors" }, new[] { "retain_eval_authors" }, v =>
                v.Name("source") == "tofu" && v.IntOrNull("retain_eval_authors") is > 20 and var e
                    ? $"retain_eval_authors ({e}) is at most 20 on TOFU: retain_perturbed.json, the retain rows TOFU evaluates on, holds 20 authors"
                    : null),
            new SpecCheck(new[] { "source", "split", "holdout_authors" }, new[] { "holdout_authors" }, v =>
            {
                // TOFU's retain splits hold 198, 190 and 180 authors; the holdout (their last authors) must leave
                // retain_perturbed's 20 evaluation authors and one author to train retain terms on.
                int retain = v.Name("split") switch { "forget01" => 198, "forget05" => 190, _ => 180 };
                return v.Name("source") == "tofu" && v.IntOrNull("holdout_authors") is { } h && h > retain - 21
                    ? $"holdout_authors ({h}) is at most {retain - 21} for {v.Name("split")}: the holdout is taken from the last of its {retain} retain authors and must leave " +
                      "the 20 evaluation authors of retain_perturbed.json and one retain author to train on"
                    : null;
            }),
            new SpecCheck(new[] { "source", "retain_authors", "retain_eval_authors" }, new[] { "retain_eval_authors", "retain_authors" }, v =>
                v.Name("source") == "tofu" && v.IntOrNull("retain_authors") is { } kept && v.IntOrNull("retain_eval_authors") is { } e && e >= kept && kept > 1
                    ? $"retain_eval_authors ({e}) must be less than retain_authors ({kept}): at least one kept retain author must stay for retain terms to train on"
                    : null));

        // The rules are Models/HeadRules.cs, shared with LlamaConfig.Validate.
        var model = DeclaredSection(catalog, "ModelSpec", "model",
            new SpecCheck(new[] { "hidden_size", "heads" }, new[] { "heads", "hidden_size" }, v => HeadRules.HeadsDivideHidden(v.Int("hidden_size"), v.Int("heads"), HeadKeys.Spec)),
            new SpecCheck(new[] { "hidden_size", "heads" }, new[] { "heads", "hidden_size" }, v => HeadRules.EvenHeadDimension(v.Int("hidden_size"), v.Int("heads"), HeadKeys.Spec)),
            new SpecCheck(new[] { "heads", "kv_heads" }, new[] { "kv_heads", "heads" }, v => HeadRules.KvHeadsDivideHeads(v.Int("heads"), v.Int("kv_heads"), HeadKeys.Spec)));
        // Every other section, its discriminator, the items' sweep and the chain's steps are the records' (SpecSchema.Declared.cs).
        var root = new SpecSection
        {
            DisplayName = "the top level",
            CSharpType = Specs + "ExperimentSpec",
            Checks = new[] { TestbedSourceCheck(), PoolSizesCheck() },
            Keys = RootKeys(catalog, new Dictionary<string, SpecSection>(StringComparer.Ordinal) { ["data"] = data, ["model"] = model }),
        };

        SpecSection Item(string key) => root.Find(key)?.Section ?? new SpecSection();
        var attackItem = Item("attacks");
        return new SpecSchema(root, catalog)
        {
            KeyNeutral = KeyNeutralOf(root, catalog),
            UnlearnItem = Item("unlearn"),
            MetricItem = Item("metrics"),
            AttackItem = attackItem,
            AttackStep = attackItem.Find("chain")?.Section ?? new SpecSection(),
            CalibrationSection = Item("calibration"),
        };
    }
}
