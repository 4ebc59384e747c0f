namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The attribute contract of a component, checked by the generator's <c>ComponentReader</c> over symbols: the reader
/// answers the questions about its type; the messages and the final entry are made here. <c>validate</c> reads the
/// resulting catalog from the build (<see cref="CatalogData"/>), so the build and <c>validate</c> agree.
/// </summary>
internal static class ComponentContract
{
    /// <summary>
    /// Whether the type has the component's shape; records the first broken rule in <paramref name="problems"/>.
    /// <paramref name="missingInterface"/> is the interface the type fails to implement, or null.
    /// </summary>
    public static bool CheckShape(ComponentKind kind, string name, string display, bool publicConcrete, string? missingInterface,
        bool oneOptionsConstructor, List<string> problems)
    {
        var who = $"{ComponentCatalog.Noun(kind)} '{name}' ({display})";
        if (!publicConcrete)
        {
            problems.Add($"{who} must be a public, non-abstract, non-generic class");
            return false;
        }

        if (missingInterface is not null)
        {
            problems.Add($"{who} must implement {missingInterface}");
            return false;
        }

        if (!oneOptionsConstructor)
        {
            problems.Add($"{who} must have exactly one public constructor taking its options record");
            return false;
        }

        return true;
    }

    /// <summary>The catalog entry, or null (recorded in <paramref name="problems"/>) when two options map to one YAML key.</summary>
    public static ComponentInfo? Create(ComponentKind kind, string name, string display, string typeName, string optionsType, string help,
        List<SpecKey> options, List<string> problems, int needs = 0)
    {
        var clashes = options.GroupBy(o => o.Key).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (clashes.Count > 0)
        {
            problems.Add($"{ComponentCatalog.Noun(kind)} '{name}' ({display}): options {string.Join(", ", clashes)} map to the same YAML key; set [Option(Key = ...)]");
            return null;
        }

        return new ComponentInfo(kind, name, typeName, optionsType, help, options.ToEquatableArray(), needs);
    }
}
