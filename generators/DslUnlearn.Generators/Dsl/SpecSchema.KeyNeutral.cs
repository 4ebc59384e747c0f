namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The key-neutral keys (<see cref="KeyNeutral"/>): every <c>[Option(KeyNeutral = ...)]</c> of the sections and of the
/// component options, by its path in the resolved spec's canonical JSON, for the static plan's drops. The runtime reads
/// the same attributes (<c>Engine.KeyNeutralDefaults</c>); a test holds the two lists equal.
/// </summary>
internal sealed partial class SpecSchema
{
    /// <summary>In declaration order, from the top level down; a component option once per path (every method has gradient_checkpointing).</summary>
    public IReadOnlyList<KeyNeutral> KeyNeutral { get; private set; } = Array.Empty<KeyNeutral>();

    private static IReadOnlyList<KeyNeutral> KeyNeutralOf(SpecSection root, ComponentCatalog catalog)
    {
        var found = new List<KeyNeutral>();
        Walk(root, "", catalog, found);
        return found;
    }

    /// <summary>A section's keys as the YAML writes them (a nested use's are already its <c>[NestedKey]</c>s), their sections and items, and the options of the components an item section holds.</summary>
    private static void Walk(SpecSection section, string prefix, ComponentCatalog catalog, List<KeyNeutral> found)
    {
        foreach (var key in section.Keys.Where(k => k.Property.Length > 0 && k.IsUserKey))
        {
            var path = prefix + StageShape.SnakeCase(key.Property);
            if (key.KeyNeutral is { } value)
            {
                Add(found, new KeyNeutral(path, value));
            }

            if (key.Section is { } nested)
            {
                Walk(nested, path + (key.IsList ? "[*]." : "."), catalog, found);
            }
        }

        if (section.ComponentProperty is { } component && section.ComponentKind is { } kind)
        {
            var path = prefix + StageShape.SnakeCase(component) + ".options.";
            foreach (var c in catalog.OfKind(kind))
            {
                foreach (var option in c.Options.Where(o => o.KeyNeutral is not null))
                {
                    Add(found, new KeyNeutral(path + StageShape.SnakeCase(option.Property), option.KeyNeutral!));
                }
            }
        }
    }

    // The type's name is also this class's property, so the call names the type in full.
    private static void Add(List<KeyNeutral> found, KeyNeutral key) => global::DslUnlearn.Generators.Dsl.KeyNeutral.AddOnce(found, key);
}
