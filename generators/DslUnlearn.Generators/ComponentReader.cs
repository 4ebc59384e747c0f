using System.Threading;
using DslUnlearn.Generators.Dsl;
using Microsoft.CodeAnalysis;

namespace DslUnlearn.Generators;

/// <summary>
/// Reads the component catalog from a compilation's references. ForAttributeWithMetadataName only sees source, and
/// components live in referenced assemblies, so this walks the types of the assemblies that can hold components:
/// the one defining <c>ComponentAttribute</c> and those that reference it (never the framework). The result is plain
/// data (no symbols), so it compares by value and downstream steps stay cached when references do not change.
/// </summary>
internal static class ComponentReader
{
    public static ComponentCatalog Read(Compilation compilation, CancellationToken cancellationToken)
        => Read(compilation, XmlDocIndex.Empty, cancellationToken);

    /// <param name="docs">Doc comments from XML documentation files, for symbols whose reference has none beside it.</param>
    public static ComponentCatalog Read(Compilation compilation, XmlDocIndex docs, CancellationToken cancellationToken)
    {
        var attribute = compilation.GetTypeByMetadataName(ComponentCatalog.ComponentAttribute);
        if (attribute is null)
        {
            return ComponentCatalog.Empty;
        }

        var option = compilation.GetTypeByMetadataName(ComponentCatalog.OptionAttribute);
        var home = attribute.ContainingAssembly;
        var components = new List<ComponentInfo>();
        var sections = new List<SectionInfo>();
        var problems = new List<string>();
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!SymbolEqualityComparer.Default.Equals(assembly, home) &&
                !assembly.Modules.Any(m => m.ReferencedAssemblySymbols.Any(r => r.Identity.Name == home.Identity.Name)))
            {
                continue;
            }

            foreach (var type in Types(assembly.GlobalNamespace))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (ReadSection(type, option, docs) is { } section)
                {
                    sections.Add(section);
                }

                foreach (var data in type.GetAttributes())
                {
                    if (data.AttributeClass is not { } cls || !DerivesFrom(cls, attribute) ||
                        ComponentCatalog.KindOfAttribute(cls.Name) is not { } kind ||
                        data.ConstructorArguments.Length != 1 || data.ConstructorArguments[0].Value is not string name)
                    {
                        continue;
                    }

                    var needs = data.NamedArguments.Where(a => a.Key == MetricNeedsText.Property).Select(a => a.Value.Value).OfType<int>().FirstOrDefault();
                    if (ReadComponent(compilation, type, kind, name, option, docs, problems, needs) is { } info)
                    {
                        components.Add(info.WithAttributeFacts(data.NamedArguments.Select(n => new KeyValuePair<string, object?>(n.Key, n.Value.Value))));
                    }
                }
            }
        }

        return ComponentCatalog.Create(components, problems) with { Sections = sections.OrderBy(x => x.TypeName, StringComparer.Ordinal).ToEquatableArray() };
    }

    private static readonly ComponentKind[] ComponentKinds = { ComponentKind.Method, ComponentKind.Metric, ComponentKind.Attack, ComponentKind.Calibrator };

    /// <summary>Whether <paramref name="type"/> is a spec record: in <c>DslUnlearn.Specs</c> or below it (<c>DslUnlearn.Specs.Vocabulary</c>).</summary>
    private static bool InSpecs(ITypeSymbol type)
        => type.ContainingNamespace?.ToDisplayString() is { } ns
           && (ns == ComponentCatalog.SpecsNamespace || ns.StartsWith(ComponentCatalog.SpecsNamespace + ".", StringComparison.Ordinal));

    /// <summary>A record of <c>DslUnlearn.Specs</c> with <c>[Option]</c> properties: its section keys, in declaration order.</summary>
    private static SectionInfo? ReadSection(INamedTypeSymbol type, INamedTypeSymbol? optionAttribute, XmlDocIndex docs)
    {
        if (optionAttribute is null || !InSpecs(type))
        {
            return null;
        }

        var keys = type.GetMembers().OfType<IPropertySymbol>()
            .Where(p => !p.IsStatic && p.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, optionAttribute)))
            .Select(p => ReadOption(p, optionAttribute, docs, section: true))
            .ToList();
        foreach (var data in type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() is ComponentCatalog.CompositionKeyAttribute or ComponentCatalog.ItemKeyAttribute))
        {
            var composition = data.AttributeClass!.ToDisplayString() == ComponentCatalog.CompositionKeyAttribute;
            if (data.ConstructorArguments.Length == 1 && data.ConstructorArguments[0].Value is string key)
            {
                var facts = new OptionFacts();
                foreach (var named in data.NamedArguments)
                {
                    facts.Apply(named.Key, named.Value.Kind == TypedConstantKind.Array
                        ? named.Value.Values.Select(v => v.Value as string).OfType<string>().ToArray()
                        : named.Value.Value);
                }

                facts.Apply("Key", key);
                var before = data.NamedArguments.Where(a => a.Key == "Before").Select(a => a.Value.Value as string).FirstOrDefault();
                var sweep = data.NamedArguments.Any(a => a.Key == "Sweep" && a.Value.Value is true);
                var extra = composition
                    ? facts.ToSectionKey("", SpecValueKind.Unsupported, "", false, "", Array.Empty<EnumMemberInfo>()) with { IsComposition = true }
                    : sweep
                        ? facts.ToSectionKey("", SpecValueKind.Section, "", false, "", Array.Empty<EnumMemberInfo>()) with { Before = before }
                        : facts.ToSectionKey("", SpecValueKind.String, "string", false, "", Array.Empty<EnumMemberInfo>()) with { Before = before };
                var at = before is null ? -1 : keys.FindIndex(k => k.Key == before);
                if (at < 0)
                {
                    keys.Add(extra);
                }
                else
                {
                    keys.Insert(at, extra);
                }
            }
        }

        var properties = type.GetMembers().OfType<IPropertySymbol>().Where(p => !p.IsStatic && p.DeclaredAccessibility == Accessibility.Public && p.SetMethod is not null).ToList();
        var component = properties.FirstOrDefault(p => ComponentKinds.Any(k => p.Type.ToDisplayString() == ComponentCatalog.InterfaceOf(k)));
        return keys.Count == 0 ? null : new SectionInfo(Global(type), keys.ToEquatableArray())
        {
            Properties = properties.Select(p => p.Name).ToEquatableArray(),
            ComponentProperty = component?.Name,
            ComponentKind = component is null ? null : ComponentKinds.First(k => component.Type.ToDisplayString() == ComponentCatalog.InterfaceOf(k)),
        };
    }

    private static ComponentInfo? ReadComponent(Compilation compilation, INamedTypeSymbol type, ComponentKind kind, string name,
        INamedTypeSymbol? optionAttribute, XmlDocIndex docs, List<string> problems, int needs)
    {
        var display = type.ToDisplayString();
        var iface = compilation.GetTypeByMetadataName(ComponentCatalog.InterfaceOf(kind));
        var ctors = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
        var optionsType = ctors.Count == 1 && ctors[0].Parameters.Length == 1 ? ctors[0].Parameters[0].Type as INamedTypeSymbol : null;
        if (!ComponentContract.CheckShape(kind, name, display,
                type.DeclaredAccessibility == Accessibility.Public && !type.IsAbstract && !type.IsGenericType,
                iface is not null && !type.AllInterfaces.Contains(iface, SymbolEqualityComparer.Default) ? iface.ToDisplayString() : null,
                optionsType is not null, problems))
        {
            return null;
        }

        var options = new List<SpecKey>();
        var chain = new List<INamedTypeSymbol>();
        for (var t = optionsType; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            chain.Add(t);
        }

        chain.Reverse();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in chain)
        {
            foreach (var property in t.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public ||
                    property.SetMethod is not { DeclaredAccessibility: Accessibility.Public } || property.Name == "EqualityContract" ||
                    !seen.Add(property.Name))
                {
                    continue;
                }

                options.Add(ReadOption(property, optionAttribute, docs));
            }
        }

        return ComponentContract.Create(kind, name, display, Global(type), Global(optionsType!), ComponentCatalog.SummaryOf(Documentation(type, docs)),
            options, problems, needs);
    }

    /// <summary>The symbol's doc comment XML: from the compiler (source, or an .xml beside the reference), else from <paramref name="docs"/>.</summary>
    private static string? Documentation(ISymbol symbol, XmlDocIndex docs)
    {
        var xml = symbol.GetDocumentationCommentXml();
        return string.IsNullOrWhiteSpace(xml) ? docs.Find(symbol.GetDocumentationCommentId()) : xml;
    }

    private static SpecKey ReadOption(IPropertySymbol property, INamedTypeSymbol? optionAttribute, XmlDocIndex docs, bool section = false)
    {
        var facts = new OptionFacts();
        var data = property.GetAttributes().FirstOrDefault(a => optionAttribute is not null && SymbolEqualityComparer.Default.Equals(a.AttributeClass, optionAttribute));
        if (data is not null)
        {
            foreach (var named in data.NamedArguments)
            {
                // An array argument (Aliases) has Values, and its Value throws.
                facts.Apply(named.Key, named.Value.Kind == TypedConstantKind.Array
                    ? named.Value.Values.Select(v => v.Value as string).OfType<string>().ToArray()
                    : named.Value.Value);
            }
        }

        var type = property.Type;
        var nullable = false;
        var list = false;
        if (section && type is INamedTypeSymbol { IsGenericType: true } array &&
            array.ConstructedFrom.ToDisplayString() == "System.Collections.Immutable.ImmutableArray<T>")
        {
            // A list section key: the kind is the element's (SplitKind names, AttackStep sections, metric names).
            type = array.TypeArguments[0];
            list = true;
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n)
        {
            type = n.TypeArguments[0];
            nullable = true;
        }
        else if (type.IsReferenceType && property.NullableAnnotation == NullableAnnotation.Annotated)
        {
            nullable = true;
        }

        SpecValueKind kind;
        string csharp;
        var members = new List<EnumMemberInfo>();
        if (type.TypeKind == TypeKind.Enum)
        {
            kind = SpecValueKind.Enum;
            csharp = Global(type);
            foreach (var f in type.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsConst))
            {
                // A section key's enum names its members with [Choice] (help, aliases); an option's enum is snake_case.
                var choice = Choices(f).FirstOrDefault();
                members.Add(choice is null ? new EnumMemberInfo(ComponentCatalog.SnakeCase(f.Name), f.Name) : choice with { Member = f.Name });
            }
        }
        else if (section && data?.NamedArguments.Any(a => a.Key == "Text" && a.Value.Value is true) == true)
        {
            kind = SpecValueKind.String;
            csharp = "string";
        }
        else if (section && type.TypeKind == TypeKind.Class && InSpecs(type) &&
                 type.SpecialType != SpecialType.System_String)
        {
            // A nested section record (TestbedSpec.Pretrain: a FinetuneSpec); its keys are the record's own.
            kind = SpecValueKind.Section;
            csharp = Global(type);
        }
        else
        {
            var metadata = type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + type.MetadataName : type.MetadataName;
            (kind, csharp) = OptionFacts.Classify(metadata, type.ToDisplayString());
        }

        if (section && kind == SpecValueKind.String)
        {
            // A string section key's allowed names ([Choice] on the property: ModelSpec.Preset).
            members.AddRange(Choices(property));
        }

        var doc = ComponentCatalog.SummaryOf(Documentation(property, docs));
        return section
            ? facts.ToSectionKey(property.Name, kind, csharp, nullable, doc, members) with { Nested = NestedKeys(property).ToEquatableArray(), IsList = list }
            : facts.ToOption(property.Name, kind, csharp, nullable, doc, members);
    }

    /// <summary>The <c>[Choice]</c>s of an enum member or a string section key, in source order (Member = the name).</summary>
    private static IEnumerable<EnumMemberInfo> Choices(ISymbol symbol)
    {
        foreach (var data in symbol.GetAttributes())
        {
            if (data.AttributeClass?.ToDisplayString() != ComponentCatalog.ChoiceAttribute || data.ConstructorArguments.Length != 1 ||
                data.ConstructorArguments[0].Value is not string name)
            {
                continue;
            }

            var help = data.NamedArguments.Where(a => a.Key == "Help").Select(a => a.Value.Value as string).FirstOrDefault() ?? "";
            var aliases = data.NamedArguments.Where(a => a.Key == "Aliases" && a.Value.Kind == TypedConstantKind.Array)
                .SelectMany(a => a.Value.Values.Select(v => v.Value as string).OfType<string>()).ToEquatableArray();
            yield return new EnumMemberInfo(name, name) { Help = help, Aliases = aliases };
        }
    }

    /// <summary>The <c>[NestedKey]</c>s of a nested section key, in source order.</summary>
    private static IEnumerable<NestedKeyInfo> NestedKeys(IPropertySymbol property)
    {
        foreach (var data in property.GetAttributes())
        {
            if (data.AttributeClass?.ToDisplayString() != ComponentCatalog.NestedKeyAttribute || data.ConstructorArguments.Length != 1 ||
                data.ConstructorArguments[0].Value is not string key)
            {
                continue;
            }

            string? Named(string name) => data.NamedArguments.Where(a => a.Key == name).Select(a => a.Value.Value as string).FirstOrDefault();
            var aliases = data.NamedArguments.Where(a => a.Key == "Aliases" && a.Value.Kind == TypedConstantKind.Array).Select(a => a.Value.Values).ToList();
            yield return new NestedKeyInfo(key, Named("Default"), Named("Help"), aliases.Count > 0,
                aliases.Count > 0 ? aliases[0].Select(v => v.Value as string).OfType<string>().ToEquatableArray() : EquatableArray<string>.Empty);
        }
    }

    private static string Global(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<INamedTypeSymbol> Types(INamespaceSymbol ns)
    {
        foreach (var member in ns.GetMembers())
        {
            if (member is INamespaceSymbol child)
            {
                foreach (var t in Types(child))
                {
                    yield return t;
                }
            }
            else if (member is INamedTypeSymbol type && type.TypeKind == TypeKind.Class)
            {
                yield return type;
            }
        }
    }
}
