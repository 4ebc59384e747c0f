using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The component catalog read by reflection from loaded assemblies, with the same attribute contract and the same
/// result as the generator's <c>ComponentReader</c> over metadata: the CLI's <c>validate</c> knows the components of
/// its own build this way. Matches attributes by name, so this code does not reference the runtime.
/// </summary>
internal static class ReflectionCatalog
{
    /// <param name="assemblies">Assemblies to scan (those that may hold components).</param>
    /// <param name="documentation">XML doc comment of a member id ("P:Ns.Type.Prop", "T:Ns.Type"), or null.</param>
    public static ComponentCatalog Build(IEnumerable<Assembly> assemblies, Func<string, string?> documentation)
    {
        var components = new List<ComponentInfo>();
        var problems = new List<string>();
        foreach (var assembly in assemblies.Distinct())
        {
            Type[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                types = ex.Types.Where(t => t is not null).ToArray()!;
            }

            foreach (var type in types.Where(t => t.IsClass).OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                foreach (var data in type.GetCustomAttributesData())
                {
                    if (!IsComponentAttribute(data.AttributeType) || ComponentCatalog.KindOfAttribute(data.AttributeType.Name) is not { } kind ||
                        data.ConstructorArguments.Count != 1 || data.ConstructorArguments[0].Value is not string name)
                    {
                        continue;
                    }

                    var needs = data.NamedArguments.Where(a => a.MemberName == MetricNeedsText.Property).Select(a => a.TypedValue.Value).OfType<int>().FirstOrDefault();
                    if (Read(type, kind, name, documentation, problems, needs) is { } info)
                    {
                        components.Add(info);
                    }
                }
            }
        }

        return ComponentCatalog.Create(components, problems);
    }

    private static bool IsComponentAttribute(Type type)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t.FullName == ComponentCatalog.ComponentAttribute)
            {
                return true;
            }
        }

        return false;
    }

    private static ComponentInfo? Read(Type type, ComponentKind kind, string name, Func<string, string?> documentation, List<string> problems, int needs)
    {
        var display = type.FullName!.Replace('+', '.');
        var iface = ComponentCatalog.InterfaceOf(kind);
        var ctors = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
        if (!ComponentContract.CheckShape(kind, name, display,
                (type.IsPublic || type.IsNestedPublic) && !type.IsAbstract && !type.IsGenericTypeDefinition,
                type.GetInterfaces().All(i => i.FullName != iface) ? iface : null,
                ctors.Length == 1 && ctors[0].GetParameters().Length == 1, problems))
        {
            return null;
        }

        var optionsType = ctors[0].GetParameters()[0].ParameterType;
        var chain = new List<Type>();
        for (var t = optionsType; t is not null && t != typeof(object); t = t.BaseType)
        {
            chain.Insert(0, t);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var options = new List<ComponentOption>();
        foreach (var t in chain)
        {
            foreach (var property in t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).OrderBy(p => p.MetadataToken))
            {
                if (property.GetIndexParameters().Length > 0 || property.SetMethod is not { IsPublic: true } || !seen.Add(property.Name))
                {
                    continue;
                }

                options.Add(ReadOption(property, documentation));
            }
        }

        return ComponentContract.Create(kind, name, display, "global::" + display, "global::" + optionsType.FullName!.Replace('+', '.'),
            ComponentCatalog.SummaryOf(documentation("T:" + type.FullName)), options, problems, needs);
    }

    private static ComponentOption ReadOption(PropertyInfo property, Func<string, string?> documentation)
    {
        var facts = new OptionFacts();
        var data = property.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == ComponentCatalog.OptionAttribute);
        if (data is not null)
        {
            foreach (var named in data.NamedArguments)
            {
                facts.Apply(named.MemberName, named.TypedValue.Value);
            }
        }

        var type = property.PropertyType;
        var nullable = false;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            type = underlying;
            nullable = true;
        }
        else if (!type.IsValueType && IsAnnotatedNullable(property))
        {
            nullable = true;
        }

        OptionValueKind kind;
        string csharp;
        var members = new List<EnumMemberInfo>();
        if (type.IsEnum)
        {
            kind = OptionValueKind.Enum;
            csharp = "global::" + type.FullName!.Replace('+', '.');
            foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Static).OrderBy(f => f.MetadataToken))
            {
                members.Add(new EnumMemberInfo(ComponentCatalog.SnakeCase(f.Name), f.Name));
            }
        }
        else
        {
            (kind, csharp) = OptionFacts.Classify(type.FullName ?? type.Name, type.FullName ?? type.Name);
        }

        var doc = ComponentCatalog.SummaryOf(documentation($"P:{property.DeclaringType!.FullName}.{property.Name}"));
        return facts.ToOption(property.Name, kind, csharp, nullable, doc, members);
    }

    /// <summary>Reads the compiler's [Nullable] metadata (1 = not annotated, 2 = annotated) without NullabilityInfoContext (not in netstandard2.0).</summary>
    private static bool IsAnnotatedNullable(PropertyInfo property)
    {
        static byte? Flag(IEnumerable<CustomAttributeData> attributes, string name)
        {
            var a = attributes.FirstOrDefault(x => x.AttributeType.FullName == name);
            if (a is null || a.ConstructorArguments.Count != 1)
            {
                return null;
            }

            var arg = a.ConstructorArguments[0];
            return arg.Value switch
            {
                byte b => b,
                IReadOnlyCollection<CustomAttributeTypedArgument> list when list.Count > 0 && list.First().Value is byte first => first,
                _ => null,
            };
        }

        var own = Flag(property.GetCustomAttributesData(), "System.Runtime.CompilerServices.NullableAttribute");
        if (own is { } o)
        {
            return o == 2;
        }

        var context = Flag(property.DeclaringType!.GetCustomAttributesData(), "System.Runtime.CompilerServices.NullableContextAttribute");
        return context == 2;
    }
}
