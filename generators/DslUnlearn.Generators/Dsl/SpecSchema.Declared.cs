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
    private static SpecKey[] DeclaredKeys(ComponentCatalog catalog, string type)
        => catalog.Section(Specs + type) is { } section ? section.Keys.Select(k => ToSpecKey(type, k)).ToArray() : Array.Empty<SpecKey>();

    private static SpecKey ToSpecKey(string type, ComponentOption option) => new()
    {
        Name = option.Key,
        Property = option.Property,
        Kind = option.Kind switch
        {
            OptionValueKind.Integer => SpecValueKind.Integer,
            OptionValueKind.Number => SpecValueKind.Number,
            OptionValueKind.Boolean => SpecValueKind.Boolean,
            OptionValueKind.String => SpecValueKind.String,
            OptionValueKind.StepCount => SpecValueKind.StepCount,
            _ => throw new InvalidOperationException(
                $"{type}.{option.Property}: a section key of type {option.CSharpType} cannot be declared with [Option] yet; declare it in SpecSchema.Create"),
        },
        Range = option.Range,
        Default = option.Default,
        Required = option.Required,
        Nullable = option.Nullable,
        Help = option.Help,
        Aliases = option.Aliases.ToArray(),
    };
}
