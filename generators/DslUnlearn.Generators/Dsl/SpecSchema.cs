using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace DslUnlearn.Generators.Dsl;

/// <summary>What a key holds.</summary>
internal enum SpecValueKind
{
    /// <summary>A plain scalar parsed as a 32-bit integer (invariant culture).</summary>
    Integer,

    /// <summary>A plain integer or floating-point scalar (1e-4, 3.0e-3, .5).</summary>
    Number,

    /// <summary>Any scalar; quoted scalars are always strings.</summary>
    String,

    /// <summary>A name from a <see cref="SpecComponentSet"/> (method, metric, split, device, preset, data source).</summary>
    Component,

    /// <summary>A nested section (<see cref="SpecKey.Section"/>).</summary>
    Mapping,

    /// <summary>A list of sections (<see cref="SpecKey.Section"/>) or of values (<see cref="SpecKey.Item"/>).</summary>
    List,

    /// <summary>Not written in YAML: the spec file's path relative to the project.</summary>
    SourceFile,

    /// <summary>A path relative to the spec file that must stay inside the allowed roots; emitted relative to the repository root.</summary>
    Path,

    /// <summary>A list of component items (unlearn, metrics, attacks) or one component mapping (calibration); see <see cref="SpecKey.ComponentItems"/>.</summary>
    Components,

    /// <summary>extends, vars, fragments: consumed by <see cref="SpecComposer"/> before binding.</summary>
    Composition,

    /// <summary>A step count: 10, "2 epochs", "10%" of the run (<see cref="StepCountSyntax"/>; runtime <c>DslUnlearn.Specs.Vocabulary.StepCount</c>).</summary>
    StepCount,
    /// <summary>true or false (plain scalar, any case).</summary>
    Boolean,
}

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

/// <summary>The valid names of one kind of component. A later version discovers these from runtime attributes.</summary>
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

/// <summary>The built-in names of the spec language (components with code live in the <see cref="ComponentCatalog"/>).</summary>
internal sealed class SpecComponents
{
    private const string Specs = "global::DslUnlearn.Specs.";

    public SpecComponents(SpecComponentSet device, SpecComponentSet dataSource, SpecComponentSet preset, SpecComponentSet split, SpecComponentSet tofuSplit)
    {
        Device = device;
        DataSource = dataSource;
        Preset = preset;
        Split = split;
        TofuSplit = tofuSplit;
    }

    public SpecComponentSet Device { get; }

    public SpecComponentSet DataSource { get; }

    public SpecComponentSet Preset { get; }

    public SpecComponentSet Split { get; }

    public SpecComponentSet TofuSplit { get; }

    /// <summary>model.dtype (runtime enum ModelDtype).</summary>
    public SpecComponentSet Dtype { get; } = new SpecComponentSet("dtype", Specs + "Vocabulary.ModelDtype",
        new SpecComponent("float32", "Float32", "32-bit floats everywhere", "fp32", "float", "f32"),
        new SpecComponent("bfloat16", "Bfloat16", "bfloat16 weights and compute; float32 master weights, optimizer state, losses and metric reductions", "bf16"),
        new SpecComponent("float16", "Float16", "float16 weights and compute; float32 master weights, optimizer state, losses and metric reductions", "fp16", "half", "f16"));

    /// <summary>testbed.tokenizer (runtime <c>TestbedSpec.Tokenizer</c>, a string: Data/Testbed/TestbedInputs.CreateTokenizer).</summary>
    public SpecComponentSet TestbedTokenizer { get; } = new SpecComponentSet("testbed tokenizer", null,
        new SpecComponent("bpe", "Bpe", "GPT-2 BPE restricted to the token ids the world uses", "gpt2"),
        new SpecComponent("char", "Char", "one token per character (printable ASCII)", "character", "chars"));

    /// <summary>The hard-coded names matching the runtime's enums (DeviceKind, DataSource, SplitKind) and strings.</summary>
    public static SpecComponents BuiltIn { get; } = new(
        new SpecComponentSet("device", Specs + "Vocabulary.DeviceKind",
            new SpecComponent("auto", "Auto", "CUDA when available, else CPU"),
            new SpecComponent("cpu", "Cpu", "always the CPU"),
            new SpecComponent("cuda", "Cuda", "the first CUDA GPU", "gpu")),
        new SpecComponentSet("data source", Specs + "Vocabulary.DataSource",
            new SpecComponent("synthetic", "Synthetic", "built-in fictitious authors with QA pairs"),
            new SpecComponent("tofu", "Tofu", "TOFU from a local folder (data.path, data.split)"),
            new SpecComponent("biographies", "Biographies", "the biographies testbed: authors learned from biographies, then QA (section 'testbed')", "testbed", "bios")),
        new SpecComponentSet("preset", null,
            new SpecComponent("tiny-llama", "TinyLlama", "tiny Llama-style decoder (RMSNorm, RoPE, SwiGLU)", "llama", "tiny_llama")),
        new SpecComponentSet("split", Specs + "Vocabulary.SplitKind",
            new SpecComponent("forget", "Forget", "the authors to unlearn"),
            new SpecComponent("retain", "Retain", "the authors to keep")),
        new SpecComponentSet("TOFU split", null,
            new SpecComponent("forget01", "Forget01", "forget 1% of the authors", "forget1", "forget_01"),
            new SpecComponent("forget05", "Forget05", "forget 5% of the authors", "forget5", "forget_05"),
            new SpecComponent("forget10", "Forget10", "forget 10% of the authors", "forget_10")));
}

/// <summary>One key of a section: its YAML name, the C# property it sets, its type, default, range and help.</summary>
internal sealed class SpecKey
{
    public string Name { get; init; } = "";

    public string Property { get; init; } = "";

    public SpecValueKind Kind { get; init; }

    public string Help { get; init; } = "";

    public bool Required { get; init; }

    /// <summary>The default, written as YAML (bound exactly like user input). Null when required or derived.</summary>
    public string? Default { get; init; }

    /// <summary>Defaults to the value of this other key of the same section (kv_heads = heads, name = method).</summary>
    public string? DefaultFromKey { get; init; }

    public SpecRange? Range { get; init; }

    /// <summary>A regular expression a string must match, and the rule in words.</summary>
    public string? Pattern { get; init; }

    public string? PatternHelp { get; init; }

    public SpecComponentSet? Components { get; init; }

    /// <summary>The nested section of a mapping key, or the item section of a list of mappings.</summary>
    public SpecSection? Section { get; init; }

    /// <summary>The item of a list of values.</summary>
    public SpecKey? Item { get; init; }

    public bool NonEmpty { get; init; }

    /// <summary>Keys of the same section that may not be written together with this one.</summary>
    public IReadOnlyList<string>? Excludes { get; init; }

    /// <summary>For <see cref="SpecValueKind.Components"/>: the kind of component its items construct.</summary>
    public ComponentKind? ComponentItems { get; init; }

    /// <summary>Whether the C# property is nullable: a YAML default of "~" emits null.</summary>
    public bool Nullable { get; init; }

    /// <summary>Items of a list of values must not repeat.</summary>
    public bool Distinct { get; init; }

    /// <summary>Other spellings people use (learning_rate for lr); they only feed "did you mean".</summary>
    public IReadOnlyList<string> Aliases { get; init; } = Array.Empty<string>();

    /// <summary>The key is an option of these values of the section's discriminator only (retain_weight: gd).</summary>
    public IReadOnlyList<string>? OnlyFor { get; init; }

    /// <summary>The value emitted (YAML) where <see cref="OnlyFor"/> excludes the key.</summary>
    public string? InapplicableValue { get; init; }

    /// <summary>This key with another default, help and aliases (a nested section's per-use <c>[NestedKey]</c>).</summary>
    public SpecKey With(string? defaultYaml, string help, IReadOnlyList<string> aliases) => new()
    {
        Name = Name, Property = Property, Kind = Kind, Help = help, Required = Required, Default = defaultYaml, DefaultFromKey = DefaultFromKey,
        Range = Range, Pattern = Pattern, PatternHelp = PatternHelp, Components = Components, Section = Section, Item = Item, NonEmpty = NonEmpty,
        Excludes = Excludes, ComponentItems = ComponentItems, Nullable = Nullable, Distinct = Distinct, Aliases = aliases, OnlyFor = OnlyFor,
        InapplicableValue = InapplicableValue,
    };

    /// <summary>This key under another name (a list's item key).</summary>
    public SpecKey WithName(string name) => new()
    {
        Name = name, Property = Property, Kind = Kind, Help = Help, Required = Required, Default = Default, DefaultFromKey = DefaultFromKey,
        Range = Range, Pattern = Pattern, PatternHelp = PatternHelp, Components = Components, Section = Section, Item = Item, NonEmpty = NonEmpty,
        Excludes = Excludes, ComponentItems = ComponentItems, Nullable = Nullable, Distinct = Distinct, Aliases = Aliases, OnlyFor = OnlyFor,
        InapplicableValue = InapplicableValue,
    };

    /// <summary>This key with the nested (or item) section the schema defines beside it (data's checks, an item's fixed keys).</summary>
    public SpecKey WithSection(SpecSection section) => new()
    {
        Name = Name, Property = Property, Kind = Kind, Help = Help, Required = Required, Default = Default, DefaultFromKey = DefaultFromKey,
        Range = Range, Pattern = Pattern, PatternHelp = PatternHelp, Components = Components, Section = section, Item = Item, NonEmpty = NonEmpty,
        Excludes = Excludes, ComponentItems = ComponentItems, Nullable = Nullable, Distinct = Distinct, Aliases = Aliases, OnlyFor = OnlyFor,
        InapplicableValue = InapplicableValue,
    };

    /// <summary>Whether users write this key (false for <see cref="SpecValueKind.SourceFile"/>).</summary>
    public bool IsUserKey => Kind != SpecValueKind.SourceFile;

    /// <summary>Whether the key becomes a property of the spec record.</summary>
    public bool IsProperty => Kind != SpecValueKind.Composition;

    /// <summary>"an integer", "a number", "a method name"...</summary>
    public string Expected => Kind switch
    {
        SpecValueKind.Integer => "an integer",
        SpecValueKind.Number => "a number",
        SpecValueKind.String => "a string",
        SpecValueKind.Component => $"a {Components?.Kind ?? "component"} name",
        SpecValueKind.Mapping => "a mapping",
        SpecValueKind.List => "a list",
        SpecValueKind.Path => "a path",
        SpecValueKind.StepCount => StepCountSyntax.Expected(allowPercent: true),
        SpecValueKind.Boolean => "true or false",
        SpecValueKind.Components => ComponentItems == ComponentKind.Calibrator ? "a mapping" : "a list",
        _ => "a value",
    };
}

/// <summary>A cross-key rule of a section: runs when all <see cref="Keys"/> bound without error.</summary>
internal sealed class SpecCheck
{
    public SpecCheck(IReadOnlyList<string> keys, IReadOnlyList<string> reportAt, Func<SpecCheckValues, string?> validate)
    {
        Keys = keys;
        ReportAt = reportAt;
        Validate = validate;
    }

    public IReadOnlyList<string> Keys { get; }

    /// <summary>Where to report, by preference: the first of these keys written in the file, else the section.</summary>
    public IReadOnlyList<string> ReportAt { get; }

    /// <summary>Returns the message (with the fix) when the rule is broken, else null.</summary>
    public Func<SpecCheckValues, string?> Validate { get; }
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

    /// <summary>The component key that selects which <see cref="SpecKey.OnlyFor"/> options apply (method).</summary>
    public string? Discriminator { get; init; }

    /// <summary>For list items: this key's value must be unique within the list (unlearn names).</summary>
    public string? UniqueKey { get; init; }

    public SpecKey? Find(string name) => Keys.FirstOrDefault(k => k.IsUserKey && string.Equals(k.Name, name, StringComparison.Ordinal));

    /// <summary>The keys users may write here, given the discriminator value (null = all).</summary>
    public IEnumerable<SpecKey> UserKeys(string? discriminatorValue)
        => Keys.Where(k => k.IsUserKey && (k.OnlyFor is null || discriminatorValue is null || k.OnlyFor.Contains(discriminatorValue)));
}

/// <summary>The schema of a spec file, as a table. Built from a set of component names.</summary>
internal sealed partial class SpecSchema
{
    private const string Specs = "global::DslUnlearn.Specs.";

    private SpecSchema(SpecSection root, SpecComponents components, ComponentCatalog catalog)
    {
        Root = root;
        Components = components;
        Catalog = catalog;
    }

    /// <summary>The schema without any discovered component (methods, metrics... are then all unknown).</summary>
    public static SpecSchema Default { get; } = Create(ComponentCatalog.Empty);

    public SpecSection Root { get; }

    public SpecComponents Components { get; }

    public ComponentCatalog Catalog { get; }

    /// <summary>Item sections of the component lists: the keys that are not component options.</summary>
    public SpecSection UnlearnItem { get; private set; } = new();

    public SpecSection MetricItem { get; private set; } = new();

    public SpecSection AttackItem { get; private set; } = new();

    public SpecSection AttackStep { get; private set; } = new();

    public SpecSection CalibrationSection { get; private set; } = new();

    public static SpecSchema Create(ComponentCatalog catalog) => Create(SpecComponents.BuiltIn, catalog);

    public static SpecSchema Create(SpecComponents c, ComponentCatalog catalog)
    {
        var data = new SpecSection
        {
            DisplayName = "'data'",
            CSharpType = Specs + "Vocabulary.DataSpec",
            Discriminator = "source",
            Keys = DeclaredKeys(catalog, c, "Vocabulary.DataSpec"),
            Checks = new[]
            {
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
                        : null),
            },
        };

        var model = new SpecSection
        {
            DisplayName = "'model'",
            CSharpType = Specs + "ModelSpec",
            Keys = DeclaredKeys(catalog, c, "ModelSpec"),
            Checks = new[]
            {
                // The rules are Models/HeadRules.cs, shared with LlamaConfig.Validate.
                new SpecCheck(new[] { "hidden_size", "heads" }, new[] { "heads", "hidden_size" }, v => HeadRules.HeadsDivideHidden(v.Int("hidden_size"), v.Int("heads"), HeadKeys.Spec)),
                new SpecCheck(new[] { "hidden_size", "heads" }, new[] { "heads", "hidden_size" }, v => HeadRules.EvenHeadDimension(v.Int("hidden_size"), v.Int("heads"), HeadKeys.Spec)),
                new SpecCheck(new[] { "heads", "kv_heads" }, new[] { "kv_heads", "heads" }, v => HeadRules.KvHeadsDivideHeads(v.Int("heads"), v.Int("kv_heads"), HeadKeys.Spec)),
            },
        };

        var prompt = new SpecSection
        {
            DisplayName = "'prompt'",
            CSharpType = Specs + "Vocabulary.PromptSpec",
            Keys = DeclaredKeys(catalog, c, "Vocabulary.PromptSpec"),
        };

        var finetune = new SpecSection
        {
            DisplayName = "'finetune'",
            CSharpType = Specs + "Vocabulary.FinetuneSpec",
            Keys = DeclaredKeys(catalog, c, "Vocabulary.FinetuneSpec"),
        };

        // The items' fixed keys are the [Option]s of their records (UnlearnSpec.MethodName is 'method'); the
        // discriminators, the item sweep and the chain's steps are the schema's.
        var unlearnItem = new SpecSection
        {
            DisplayName = "an 'unlearn' item",
            CSharpType = Specs + "UnlearnSpec",
            Discriminator = "method",
            Keys = DeclaredKeys(catalog, c, "UnlearnSpec").Append(SweepKey()).ToArray(),
        };
        var metricItem = new SpecSection
        {
            DisplayName = "a 'metrics' item",
            CSharpType = Specs + "MetricSpec",
            Discriminator = "metric",
            Keys = DeclaredKeys(catalog, c, "MetricSpec"),
        };
        var attackStep = new SpecSection
        {
            DisplayName = "a 'chain' item",
            CSharpType = Specs + "AttackStep",
            Discriminator = "attack",
            Keys = DeclaredKeys(catalog, c, "AttackStep"),
        };
        var attackItem = new SpecSection
        {
            DisplayName = "an 'attacks' item",
            CSharpType = Specs + "AttackSpec",
            Discriminator = "attack",
            Keys = KeysWith(catalog, c, "AttackSpec", new Dictionary<string, SpecSection>(StringComparer.Ordinal) { ["chain"] = attackStep }).Append(SweepKey()).ToArray(),
        };
        var calibration = new SpecSection
        {
            DisplayName = "'calibration'",
            CSharpType = Specs + "CalibrationSpec",
            Discriminator = "calibrator",
            Keys = DeclaredKeys(catalog, c, "CalibrationSpec"),
        };

        var report = new SpecSection
        {
            DisplayName = "'report'",
            CSharpType = Specs + "ReportSpec",
            Keys = DeclaredKeys(catalog, c, "ReportSpec"),
        };

        var root = new SpecSection
        {
            DisplayName = "the top level",
            CSharpType = Specs + "ExperimentSpec",
            Checks = new[] { TestbedSourceCheck() },
            Keys = RootKeys(catalog, c, new Dictionary<string, SpecSection>(StringComparer.Ordinal)
            {
                ["data"] = data, ["model"] = model, ["prompt"] = prompt, ["finetune"] = finetune, ["report"] = report, ["meta_eval"] = MetaEvalSection(c),
                ["unlearn"] = unlearnItem, ["attacks"] = attackItem, ["metrics"] = metricItem, ["calibration"] = calibration,
            }),
        };

        return new SpecSchema(root, c, catalog)
        {
            UnlearnItem = unlearnItem,
            MetricItem = metricItem,
            AttackItem = attackItem,
            AttackStep = attackStep,
            CalibrationSection = calibration,
        };
    }

    private static SpecKey SweepKey() => new()
    {
        Name = "sweep", Kind = SpecValueKind.Mapping,
        Help = "option -> list of values; one run per combination (grid), keys listed in 'zip: [a, b]' vary together",
        Aliases = new[] { "grid", "sweeps" },
    };
}
