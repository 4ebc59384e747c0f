using System;
using System.Collections.Generic;
using System.Linq;

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
    private static SpecKey[] DeclaredKeys(ComponentCatalog catalog, SpecComponents names, string type, string? path = null)
        => catalog.Section(Specs + type) is { } section ? section.Keys.Select(k => ToSpecKey(catalog, type, k, names, path)).ToArray() : Array.Empty<SpecKey>();

    /// <summary>The section record <paramref name="type"/> at YAML path <paramref name="path"/> ("testbed"), keys from its <c>[Option]</c>s.</summary>
    private static SpecSection DeclaredSection(ComponentCatalog catalog, SpecComponents names, string type, string path) => new()
    {
        DisplayName = $"'{path}'",
        CSharpType = Specs + type,
        Keys = DeclaredKeys(catalog, names, type, path),
    };

    /// <summary>
    /// A nested section key (<c>testbed.pretrain</c>, a <c>FinetuneSpec</c>): the record's keys, narrowed to and
    /// re-defaulted by the property's <c>[NestedKey]</c>s when it has any (same ranges and kinds: one declaration).
    /// </summary>
    private static SpecSection NestedSection(ComponentCatalog catalog, SpecComponents names, string type, ComponentOption option, string? path)
    {
        var nestedType = option.CSharpType.StartsWith(Specs, StringComparison.Ordinal) ? option.CSharpType.Substring(Specs.Length) : option.CSharpType;
        var display = path is null ? option.Key : path + "." + option.Key;
        var keys = DeclaredKeys(catalog, names, nestedType, display);
        if (option.Nested.Count > 0)
        {
            var unknown = option.Nested.Where(n => keys.All(k => k.Name != n.Key)).Select(n => n.Key).ToList();
            if (unknown.Count > 0 && keys.Length > 0)
            {
                throw new InvalidOperationException($"{type}.{option.Property}: [NestedKey] names no key of {nestedType}: {string.Join(", ", unknown)}");
            }

            keys = keys.Where(k => option.Nested.Any(n => n.Key == k.Name)).Select(k =>
            {
                var use = option.Nested.First(n => n.Key == k.Name);
                return k.With(use.Default ?? k.Default, use.Help ?? k.Help, use.HasAliases ? use.Aliases.ToArray() : k.Aliases);
            }).ToArray();
        }

        return new SpecSection { DisplayName = $"'{display}'", CSharpType = option.CSharpType, Keys = keys };
    }

    /// <summary>
    /// The top level: <c>ExperimentSpec</c>'s <c>[Option]</c>s and <c>[CompositionKey]</c>s. A nested section or
    /// component list whose rules live here (data's checks, the items' fixed keys, meta_eval's table) takes its
    /// section from <paramref name="sections"/>, by key.
    /// </summary>
    private static SpecKey[] RootKeys(ComponentCatalog catalog, SpecComponents names, IReadOnlyDictionary<string, SpecSection> sections)
        => KeysWith(catalog, names, "ExperimentSpec", sections);

    private static ComponentKind ItemsKind(string type, ComponentOption option) => option.Items switch
    {
        "method" => ComponentKind.Method,
        "metric" => ComponentKind.Metric,
        "attack" => ComponentKind.Attack,
        "calibrator" => ComponentKind.Calibrator,
        _ => throw new InvalidOperationException($"{type}.{option.Property}: [Option(Items = \"{option.Items}\")] is not a component kind (method, metric, attack, calibrator)"),
    };

    /// <summary>
    /// The keys of <paramref name="type"/>, where a nested section or list of sections whose rules live in the schema
    /// (data's checks, an item's fixed keys, the chain's steps) takes its section from <paramref name="sections"/>, by key.
    /// </summary>
    private static SpecKey[] KeysWith(ComponentCatalog catalog, SpecComponents names, string type, IReadOnlyDictionary<string, SpecSection> sections)
        => DeclaredKeys(catalog, names, type)
            .Select(k => sections.TryGetValue(k.Name, out var section) && k.Kind is SpecValueKind.Mapping or SpecValueKind.Components or SpecValueKind.List ? k.WithSection(section) : k)
            .ToArray();

    private static SpecKey ToSpecKey(ComponentCatalog catalog, string type, ComponentOption option, SpecComponents names, string? path)
        => option.IsList && option.Items is null ? ToListKey(catalog, type, option, names) : ToScalarKey(catalog, type, option, names, path);

    /// <summary>A list section key: of names (<c>splits</c>), of strings (<c>forget_metrics</c>), or of sections (<c>chain</c>, section set by the schema).</summary>
    private static SpecKey ToListKey(ComponentCatalog catalog, string type, ComponentOption option, SpecComponents names)
    {
        var element = option.Kind == OptionValueKind.Section && !option.IsText
            ? null
            : ToScalarKey(catalog, type, option with { IsList = false, Default = null, Help = "", Aliases = EquatableArray<string>.Empty, Required = false, NonEmpty = false, Distinct = false }, names, null);
        return new SpecKey
        {
            Name = option.Key, Property = option.Property, Kind = SpecValueKind.List, NonEmpty = option.NonEmpty, Distinct = option.Distinct,
            Default = option.Default, Required = option.Required, Help = option.Help, Aliases = option.Aliases.ToArray(),
            Item = element is null ? null : element.WithName(option.Names ?? "item"),
        };
    }

    private static SpecKey ToScalarKey(ComponentCatalog catalog, string type, ComponentOption option, SpecComponents names, string? path) => new()
    {
        Name = option.IsSpecFile ? "" : option.Key,
        Property = option.Property,
        Section = option.Kind == OptionValueKind.Section && !option.IsText ? NestedSection(catalog, names, type, option, path) : null,
        ComponentItems = option.Items is not null ? ItemsKind(type, option) : null,
        Pattern = option.Pattern,
        PatternHelp = option.PatternHelp,
        Kind = option.IsComposition ? SpecValueKind.Composition : option.IsSpecFile ? SpecValueKind.SourceFile : option.Items is not null ? SpecValueKind.Components
            : option.Names is not null ? SpecValueKind.Component : option.IsPath ? SpecValueKind.Path : option.Kind switch
        {
            OptionValueKind.Section => SpecValueKind.Mapping,
            OptionValueKind.Integer => SpecValueKind.Integer,
            OptionValueKind.Number => SpecValueKind.Number,
            OptionValueKind.Boolean => SpecValueKind.Boolean,
            OptionValueKind.String => SpecValueKind.String,
            OptionValueKind.StepCount => SpecValueKind.StepCount,
            _ => throw new InvalidOperationException(
                $"{type}.{option.Property}: a section key of type {option.CSharpType} cannot be declared with [Option] yet; declare it in SpecSchema.Create"),
        },
        Components = option.Names is { } set ? NameSet(names, set, type, option) : null,
        Excludes = option.Excludes.Count > 0 ? option.Excludes.ToArray() : null,
        DefaultFromKey = option.DefaultFrom,
        OnlyFor = option.OnlyFor.Count > 0 ? option.OnlyFor.ToArray() : null,
        InapplicableValue = option.Inapplicable,
        Range = option.Range,
        Default = option.Default,
        Required = option.Required,
        Nullable = option.Nullable,
        Help = option.Help,
        Aliases = option.Aliases.ToArray(),
    };

    /// <summary>The built-in name set <c>[Option(Names = ...)]</c> refers to.</summary>
    private static SpecComponentSet NameSet(SpecComponents names, string set, string type, ComponentOption option) => set switch
    {
        "preset" => names.Preset,
        "dtype" => names.Dtype,
        "device" => names.Device,
        "data source" => names.DataSource,
        "split" => names.Split,
        "TOFU split" => names.TofuSplit,
        "testbed tokenizer" => names.TestbedTokenizer,
        _ => throw new InvalidOperationException($"{type}.{option.Property}: [Option(Names = \"{set}\")] is not a built-in name set (preset, dtype, device, data source, split, TOFU split, testbed tokenizer)"),
    };
}
