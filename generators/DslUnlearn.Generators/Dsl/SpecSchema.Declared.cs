namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Section keys declared once, on the runtime's section records (<c>[Option(...)]</c> on <c>FinetuneSpec.Lr</c>): the
/// <c>ComponentReader</c> reads them with the component options into <see cref="ComponentCatalog.Sections"/>,
/// and this turns them into the schema's keys.
/// </summary>
internal sealed partial class SpecSchema
{
    /// <summary>The keys of the section record <paramref name="type"/> (e.g. "FinetuneSpec"); none when the references lack it.</summary>
    /// <param name="path">The section's dotted YAML path ("testbed"), for the display names of nested sections.</param>
    private static SpecKey[] DeclaredKeys(ComponentCatalog catalog, string type, string? path = null)
        => catalog.Section(Specs + type) is { } section ? section.Keys.Select(k => Linked(catalog, type, k, path)).ToArray() : Array.Empty<SpecKey>();

    /// <summary>
    /// The section record <paramref name="type"/> at YAML path <paramref name="path"/> ("data"), keys from its <c>[Option]</c>s;
    /// with what an attribute cannot say: the rules between keys.
    /// </summary>
    private static SpecSection DeclaredSection(ComponentCatalog catalog, string type, string path, params SpecCheck[] checks) => new()
    {
        DisplayName = $"'{path}'",
        CSharpType = Specs + type,
        Keys = DeclaredKeys(catalog, type, path),
        Checks = checks,
    };

    /// <summary>
    /// An item of a list of component items (<c>an 'unlearn' item</c>, a <c>chain</c> step) or the one component mapping
    /// (<c>calibration</c>): keys from its record's <c>[Option]</c>s and <c>[ItemKey]</c>s (the discriminator, <c>sweep</c>);
    /// the binder builds the record from its properties (<see cref="SpecSection.Properties"/>).
    /// </summary>
    private static SpecSection DeclaredItem(ComponentCatalog catalog, string type, string displayName) => new()
    {
        DisplayName = displayName,
        CSharpType = Specs + type,
        Keys = KeysWith(catalog, type, new Dictionary<string, SpecSection>(StringComparer.Ordinal)),
        Properties = catalog.Section(Specs + type)?.Properties.ToArray() ?? Array.Empty<string>(),
        ComponentProperty = catalog.Section(Specs + type)?.ComponentProperty,
        ComponentKind = catalog.Section(Specs + type)?.ComponentKind,
    };

    /// <summary>How messages name the items of a component list: "an 'unlearn' item", "a 'metrics' item"; "'calibration'" (one mapping).</summary>
    private static string ItemDisplayName(SpecKey key)
        => key.Items == "calibrator" ? $"'{key.Key}'" : ("aeiou".IndexOf(key.Key[0]) >= 0 ? "an" : "a") + $" '{key.Key}' item";

    /// <summary>
    /// A nested section key (<c>testbed.pretrain</c>, a <c>FinetuneSpec</c>): the record's keys, narrowed to and
    /// re-defaulted by the property's <c>[NestedKey]</c>s when it has any (same ranges and kinds: one declaration).
    /// </summary>
    private static SpecSection NestedSection(ComponentCatalog catalog, string type, SpecKey option, string? path)
    {
        var nestedType = SpecsRelative(option.CSharpType);
        var display = path is null ? option.Key : path + "." + option.Key;
        var keys = DeclaredKeys(catalog, nestedType, display);
        if (option.Nested.Count > 0)
        {
            var unknown = option.Nested.Where(n => keys.All(k => k.Key != n.Key)).Select(n => n.Key).ToList();
            if (unknown.Count > 0 && keys.Length > 0)
            {
                throw new InvalidOperationException($"{type}.{option.Property}: [NestedKey] names no key of {nestedType}: {string.Join(", ", unknown)}");
            }

            keys = keys.Where(k => option.Nested.Any(n => n.Key == k.Key)).Select(k =>
            {
                var use = option.Nested.First(n => n.Key == k.Key);
                return k with { Default = use.Default ?? k.Default, Help = use.Help ?? k.Help, Aliases = use.HasAliases ? use.Aliases : k.Aliases };
            }).ToArray();
        }

        return new SpecSection { DisplayName = $"'{display}'", CSharpType = option.CSharpType, Keys = keys };
    }

    /// <summary>A record's name as <see cref="DeclaredKeys"/> takes it: relative to <c>global::DslUnlearn.Specs.</c> ("Vocabulary.FinetuneSpec").</summary>
    private static string SpecsRelative(string csharpType)
        => csharpType.StartsWith(Specs, StringComparison.Ordinal) ? csharpType.Substring(Specs.Length) : csharpType;

    /// <summary>
    /// The item section of a list-of-sections key: the element record's keys; null when it declares none. A record that
    /// holds a component (a <c>chain</c> step, <c>AttackStep</c>) is a component item (<see cref="DeclaredItem"/>).
    /// </summary>
    private static SpecSection? ItemSection(ComponentCatalog catalog, SpecKey key, string? path)
    {
        var itemType = SpecsRelative(key.CSharpType);
        var display = path is null ? key.Key : path + "." + key.Key;
        if (catalog.Section(key.CSharpType)?.ComponentProperty is not null)
        {
            return DeclaredItem(catalog, itemType, $"a '{display}' item");
        }

        var keys = DeclaredKeys(catalog, itemType, display);
        return keys.Length == 0 ? null : new SpecSection { DisplayName = $"a '{display}' item", CSharpType = key.CSharpType, Keys = keys };
    }

    /// <summary>
    /// The top level: <c>ExperimentSpec</c>'s <c>[Option]</c>s and <c>[CompositionKey]</c>s. A nested section whose rules
    /// live in the schema (data's and model's checks) takes its section from <paramref name="sections"/>, by key.
    /// </summary>
    private static SpecKey[] RootKeys(ComponentCatalog catalog, IReadOnlyDictionary<string, SpecSection> sections)
        => KeysWith(catalog, "ExperimentSpec", sections);

    private static ComponentKind ItemsKind(string type, SpecKey option) => option.Items switch
    {
        "method" => ComponentKind.Method,
        "metric" => ComponentKind.Metric,
        "attack" => ComponentKind.Attack,
        "calibrator" => ComponentKind.Calibrator,
        _ => throw new InvalidOperationException($"{type}.{option.Property}: [Option(Items = \"{option.Items}\")] is not a component kind (method, metric, attack, calibrator)"),
    };

    /// <summary>
    /// The keys of <paramref name="type"/>, where a nested section whose rules live in the schema (data's checks) takes its
    /// section from <paramref name="sections"/>, by key.
    /// </summary>
    private static SpecKey[] KeysWith(ComponentCatalog catalog, string type, IReadOnlyDictionary<string, SpecSection> sections)
        => DeclaredKeys(catalog, type)
            .Select(k => sections.TryGetValue(k.Key, out var section) && k.Kind is SpecValueKind.Section or SpecValueKind.Components or SpecValueKind.List ? k with { Section = section } : k)
            .ToArray();

    /// <summary>
    /// The catalog's key with the links the schema adds: its nested section, a list's item, the name set; the facts stay
    /// the record's. A kind the spec language cannot write throws an internal error naming the property.
    /// </summary>
    private static SpecKey Linked(ComponentCatalog catalog, string type, SpecKey key, string? path)
    {
        if (key.Kind == SpecValueKind.Unsupported && !key.IsComposition)
        {
            throw new InvalidOperationException(
                $"{type}.{key.Property}: a section key of type {key.CSharpType} cannot be declared with [Option] yet; declare it in SpecSchema.Create");
        }

        if (key.IsItemSweep)
        {
            return key; // a mapping of the item's options to values, bound by the item binder (no section record)
        }

        var set = key.Names is { } n ? NameSet(n, type, key) : null;
        if (key.IsList && key.Items is null && key.TypeKind == SpecValueKind.Section && !key.IsText)
        {
            // A list of sections: its item's keys are the element record's [Option]s (meta_eval.faithfulness.sizes, a chain's steps).
            return key with { Section = ItemSection(catalog, key, path) };
        }

        if (key.IsList && key.Items is null)
        {
            // A list of names (splits) or of strings (forget_metrics).
            var item = key.TypeKind == SpecValueKind.Section && !key.IsText
                ? null
                : key with
                {
                    Key = key.Names ?? "item", IsList = false, Default = null, Help = "", Aliases = EquatableArray<string>.Empty, Required = false,
                    NonEmpty = false, Distinct = false, Components = set,
                };
            return key with { Item = item };
        }

        return key with
        {
            Section = key.Items is not null ? DeclaredItem(catalog, SpecsRelative(key.CSharpType), ItemDisplayName(key))
                : key.Kind == SpecValueKind.Section && !key.IsText ? NestedSection(catalog, type, key, path) : null,
            ComponentItems = key.Items is not null ? ItemsKind(type, key) : null,
            Components = set,
        };
    }

    /// <summary>
    /// The name set of <c>[Option(Names = "preset")]</c> (the words messages call it): the <c>[Choice]</c>s of the key's enum
    /// members or of its string property, in declaration order.
    /// </summary>
    private static SpecComponentSet NameSet(string set, string type, SpecKey key)
    {
        if (key.EnumMembers.Count == 0 || key.EnumMembers.Any(m => m.Help.Length == 0))
        {
            throw new InvalidOperationException($"{type}.{key.Property}: [Option(Names = \"{set}\")] needs a [Choice(name, Help = ...)] on each member of its enum, or on the property for each string it allows");
        }

        return new SpecComponentSet(set, key.TypeKind == SpecValueKind.Enum ? key.CSharpType : null,
            key.EnumMembers.Select(m => new SpecComponent(m.Name, m.Member, m.Help, m.Aliases.ToArray())).ToArray());
    }
}
