using System;
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
    private static SpecKey[] DeclaredKeys(ComponentCatalog catalog, SpecComponents names, string type)
        => catalog.Section(Specs + type) is { } section ? section.Keys.Select(k => ToSpecKey(type, k, names)).ToArray() : Array.Empty<SpecKey>();

    private static SpecKey ToSpecKey(string type, ComponentOption option, SpecComponents names) => new()
    {
        Name = option.Key,
        Property = option.Property,
        Kind = option.Names is not null ? SpecValueKind.Component : option.IsPath ? SpecValueKind.Path : option.Kind switch
        {
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
        _ => throw new InvalidOperationException($"{type}.{option.Property}: [Option(Names = \"{set}\")] is not a built-in name set (preset, dtype, device, data source, split, TOFU split)"),
    };
}
