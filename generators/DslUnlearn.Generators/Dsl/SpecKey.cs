namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// What a key holds: one kind system for component options and section keys. The first eight are what a property's
/// type is (<see cref="SpecKey.TypeKind"/>, stored in the catalog data by name); the rest are what the attribute makes
/// of it (<see cref="SpecKey.Kind"/>).
/// </summary>
internal enum SpecValueKind
{
    /// <summary>A plain scalar parsed as a 32-bit integer (invariant culture).</summary>
    Integer,

    /// <summary>A plain integer or floating-point scalar (1e-4, 3.0e-3, .5, 5%).</summary>
    Number,

    /// <summary>true or false (plain scalar, any case).</summary>
    Boolean,

    /// <summary>Any scalar; quoted scalars are always strings.</summary>
    String,

    /// <summary>A member of the property's C# enum, by its snake_case name (<see cref="SpecKey.EnumMembers"/>).</summary>
    Enum,

    /// <summary>A step count: 10, "2 epochs", "10%" of the run (<see cref="StepCountSyntax"/>; runtime <c>DslUnlearn.Specs.StepCount</c>).</summary>
    StepCount,

    /// <summary>A property type the spec language cannot write (a list, a record...): YAML may not set it.</summary>
    Unsupported,

    /// <summary>A nested mapping: a section record of <c>DslUnlearn.Specs</c> (<see cref="SpecKey.Section"/>; <c>testbed.pretrain</c>, a <c>FinetuneSpec</c>).</summary>
    Section,

    /// <summary>A name from a built-in <see cref="SpecComponentSet"/> (<c>[Option(Names = "preset")]</c>: device, preset, data source, split).</summary>
    Component,

    /// <summary>A list (<c>ImmutableArray</c>) of sections (<see cref="SpecKey.Section"/>) or of values (<see cref="SpecKey.Item"/>).</summary>
    List,

    /// <summary>A path relative to the spec file that must stay inside the allowed roots; emitted relative to the repository root.</summary>
    Path,

    /// <summary>Not written in YAML: the spec file's path relative to the project.</summary>
    SourceFile,

    /// <summary>A list of component items (unlearn, metrics, attacks) or one component mapping (calibration); see <see cref="SpecKey.ComponentItems"/>.</summary>
    Components,

    /// <summary>extends, vars, fragments, the top-level sweep: consumed by <see cref="SpecComposer"/> before binding.</summary>
    Composition,
}

/// <summary>
/// One key of the spec language: a component option (a public settable property of a component's options type) or a
/// section key (an <c>[Option]</c> property of a <c>DslUnlearn.Specs</c> record), as the <c>ComponentReader</c> reads it
/// from the property's type and its <c>[Option]</c>. The facts are plain data, so the catalog is equatable and the
/// incremental generator can cache it; the schema adds the links a key needs to bind (<see cref="Section"/>,
/// <see cref="Item"/>, <see cref="Components"/>, <see cref="ComponentItems"/>), which the catalog leaves null.
/// </summary>
internal sealed record SpecKey(
    string Key,
    string Property,
    SpecValueKind TypeKind,
    string CSharpType,
    bool Nullable,
    double? Min,
    bool MinExclusive,
    double? Max,
    bool Required,
    bool Sweepable,
    string Help,
    EquatableArray<EnumMemberInfo> EnumMembers)
{
    /// <summary>What YAML writes here: the property type's kind, or what the attribute makes of it (a path, a name, a list...).</summary>
    public SpecValueKind Kind => IsComposition ? SpecValueKind.Composition
        : IsSpecFile ? SpecValueKind.SourceFile
        : Items is not null ? SpecValueKind.Components
        : IsList ? SpecValueKind.List
        : Names is not null ? SpecValueKind.Component
        : IsPath ? SpecValueKind.Path
        : TypeKind;

    /// <summary>"an integer", "a number", "a preset name"...</summary>
    public string Expected => Kind switch
    {
        SpecValueKind.Integer => "an integer",
        SpecValueKind.Number => "a number",
        SpecValueKind.Boolean => "true or false",
        SpecValueKind.String => "a string",
        SpecValueKind.Enum => $"one of {string.Join(", ", EnumMembers.Select(m => m.Name))}",
        SpecValueKind.StepCount => StepCountSyntax.Expected(AllowsPercent),
        SpecValueKind.Component => $"a {Components?.Kind ?? "component"} name",
        SpecValueKind.Section => "a mapping",
        SpecValueKind.List => "a list",
        SpecValueKind.Path => "a path",
        SpecValueKind.Components => ComponentItems == ComponentKind.Calibrator ? "a mapping" : "a list",
        SpecValueKind.Unsupported => $"a value the spec language cannot write ({CSharpType})",
        _ => "a value",
    };

    /// <summary>Step counts only: whether a percentage of the run's steps is allowed (<c>[Option(AllowPercent = false)]</c> for the run length).</summary>
    public bool AllowsPercent { get; init; } = true;

    /// <summary>The allowed numeric range; a list's range is its items' (<see cref="Item"/>).</summary>
    public SpecRange? Range => IsList || (Min is null && Max is null) ? null : new SpecRange(Min, MinExclusive, Max);

    /// <summary>Section keys only (<c>[Option(Default = "...")]</c>): the default as YAML, bound like user input; component options default to their initializer.</summary>
    public string? Default { get; init; }

    /// <summary>Other spellings people use (<c>[Option(Aliases = [...])]</c>, learning_rate for lr); they only feed "did you mean".</summary>
    public EquatableArray<string> Aliases { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Section keys only (<c>[Option(Excludes = [...])]</c>): keys of the same section that may not be written together with this one.</summary>
    public EquatableArray<string> Excludes { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Section keys only (<c>[Option(Names = "preset")]</c>): the name set the value comes from (the words messages call it; its names are the key's <c>[Choice]</c>s).</summary>
    public string? Names { get; init; }

    /// <summary>Section keys only (<c>[Option(DefaultFrom = "heads")]</c>): defaults to this other key's value.</summary>
    public string? DefaultFrom { get; init; }

    /// <summary>Section keys only (<c>[Option(Path = true)]</c>): a path relative to the spec file.</summary>
    public bool IsPath { get; init; }

    /// <summary>Section keys only (<c>[Option(OnlyFor = [...])]</c>): the discriminator values the key applies to (empty = all).</summary>
    public EquatableArray<string> OnlyFor { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Section keys only (<c>[Option(Inapplicable = "~")]</c>): the value emitted where <see cref="OnlyFor"/> excludes the key.</summary>
    public string? Inapplicable { get; init; }

    /// <summary>Section keys only (<c>[Option(Pattern = ...)]</c>): a regular expression a string must match, and the rule in words.</summary>
    public string? Pattern { get; init; }

    public string? PatternHelp { get; init; }

    /// <summary>Section keys only (<c>[Option(SpecFile = true)]</c>): not written in YAML, set to the spec file's path.</summary>
    public bool IsSpecFile { get; init; }

    /// <summary>Section keys only (<c>[Option(Items = "method")]</c>): a list of component items of that kind (one mapping for "calibrator").</summary>
    public string? Items { get; init; }

    /// <summary>Section keys only: an <c>ImmutableArray</c>; <see cref="TypeKind"/> and <see cref="CSharpType"/> are its element's.</summary>
    public bool IsList { get; init; }

    /// <summary>Section keys only, lists (<c>[Option(NonEmpty = true, Distinct = true)]</c>).</summary>
    public bool NonEmpty { get; init; }

    public bool Distinct { get; init; }

    /// <summary>Section keys only (<c>[Option(Text = true)]</c>): written as a string the binder resolves (a metric name).</summary>
    public bool IsText { get; init; }

    /// <summary>Section keys only (<c>[Option(Discriminator = true)]</c>, <c>[ItemKey(Discriminator = true)]</c>): the key that picks
    /// the item's component, or that <see cref="OnlyFor"/> names (<see cref="SpecSection.Discriminator"/>).</summary>
    public bool IsDiscriminator { get; init; }

    /// <summary>Section keys only (<c>[ItemKey("sweep", Sweep = true)]</c>): the item's <c>sweep:</c> block (option -> values), bound by the item binder.</summary>
    public bool IsItemSweep { get; init; }

    /// <summary>
    /// <c>[Option(KeyNeutral = "1")]</c>: the value (YAML) at which the key is left out of every stage key that holds it
    /// (<see cref="KeyNeutral"/>; the plan's drops, <see cref="SpecSchema.KeyNeutral"/>).
    /// </summary>
    public string? KeyNeutral { get; init; }

    /// <summary>Section keys only (<c>[ItemKey(Before = ...)]</c>): a key with no property, placed before this key (null = last).</summary>
    public string? Before { get; init; }

    /// <summary>Section keys only (<c>[CompositionKey]</c> on the record): a key the composer consumes before binding; no property.</summary>
    public bool IsComposition { get; init; }

    /// <summary>Nested section keys only (<c>[NestedKey(...)]</c>): the nested record's keys written here (empty = all, as declared).</summary>
    public EquatableArray<NestedKeyInfo> Nested { get; init; } = EquatableArray<NestedKeyInfo>.Empty;

    /// <summary>Schema link: the nested section of a mapping key, or the item section of a list of mappings.</summary>
    public SpecSection? Section { get; init; }

    /// <summary>Schema link: the item of a list of values.</summary>
    public SpecKey? Item { get; init; }

    /// <summary>Schema link: the name set of <see cref="SpecValueKind.Component"/> (from <see cref="Names"/>).</summary>
    public SpecComponentSet? Components { get; init; }

    /// <summary>Schema link: for <see cref="SpecValueKind.Components"/>, the kind of component its items construct (from <see cref="Items"/>).</summary>
    public ComponentKind? ComponentItems { get; init; }

    /// <summary>Whether users write this key (false for <see cref="SpecValueKind.SourceFile"/>).</summary>
    public bool IsUserKey => Kind != SpecValueKind.SourceFile;

    /// <summary>Whether the key becomes a property of the spec record.</summary>
    public bool IsProperty => Kind != SpecValueKind.Composition;

    /// <summary>The YAML type, the one text of the generated reference (<paramref name="markdown"/>: pipes escaped) and of `components`.</summary>
    public string TypeText(bool markdown)
    {
        var bar = markdown ? " \\| " : " | ";
        var text = Kind switch
        {
            SpecValueKind.Enum => string.Join(bar, EnumMembers.Select(m => m.Name)),
            SpecValueKind.Component => string.Join(bar, Components!.Members.Select(m => m.Name)),
            SpecValueKind.List when Item?.Components is { } set => "list of " + string.Join(bar, set.Members.Select(m => m.Name)),
            SpecValueKind.Components => ComponentItems == ComponentKind.Calibrator ? "calibrator mapping" : $"list of {ComponentCatalog.Noun(ComponentItems!.Value)} items",
            SpecValueKind.StepCount => StepCountSyntax.TypeText(AllowsPercent),
            SpecValueKind.Section => "mapping",
            _ => Kind.ToString().ToLowerInvariant(),
        };
        return markdown ? text : text.Replace("\\|", "|");
    }
}
