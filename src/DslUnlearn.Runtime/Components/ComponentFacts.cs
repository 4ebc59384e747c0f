using System.Collections.Concurrent;
using System.Reflection;

namespace DslUnlearn.Components;

/// <summary>
/// The facts a component declares on its attribute (<see cref="MetricAttribute.LowerIsBetter"/>,
/// <see cref="AttackAttribute.PreservesKnowledge"/>), read back at run time from a YAML name (from an instance:
/// Metrics.MetricDirection, Attacks.AttackFacts, so that this namespace stays below the components).
/// The attribute is the only place a fact is written; the generator reads the same attributes at build time.
/// </summary>
public static class ComponentFacts
{
    /// <summary>Component attributes per loaded assembly; assemblies that do not reference the runtime hold none.</summary>
    private static readonly ConcurrentDictionary<Assembly, ComponentAttribute[]> PerAssembly = new();

    /// <summary>The attribute of type <typeparamref name="T"/> on <paramref name="component"/>'s class, or null.</summary>
    public static T? Of<T>(object component) where T : ComponentAttribute => component.GetType().GetCustomAttribute<T>(inherit: false);

    /// <summary>The attribute of the metric with this YAML name (the runtime's own first, then other loaded assemblies), or null.</summary>
    public static MetricAttribute? Metric(string name) => Find<MetricAttribute>(name);

    /// <summary>The attribute of the attack with this YAML name (the runtime's own first, then other loaded assemblies), or null.</summary>
    public static AttackAttribute? Attack(string name) => Find<AttackAttribute>(name);

    private static T? Find<T>(string name) where T : ComponentAttribute
    {
        var runtime = typeof(ComponentAttribute).Assembly;
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().OrderBy(a => a == runtime ? 0 : 1))
            foreach (var attribute in PerAssembly.GetOrAdd(assembly, Scan))
                if (attribute is T match && string.Equals(match.Name, name, StringComparison.Ordinal)) return match;
        return null;
    }

    private static ComponentAttribute[] Scan(Assembly assembly)
    {
        var runtime = typeof(ComponentAttribute).Assembly;
        if (assembly.IsDynamic || (assembly != runtime && assembly.GetReferencedAssemblies().All(n => n.Name != runtime.GetName().Name))) return [];
        Type?[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException ex) { types = ex.Types; }
        return types.Where(t => t is { IsClass: true })
            .SelectMany(t => t!.GetCustomAttributes<ComponentAttribute>(inherit: false))
            .ToArray();
    }
}
