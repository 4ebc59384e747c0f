using System.Reflection;
using DslUnlearn.Components;

namespace DslUnlearn.Engine;

/// <summary>
/// Component code versions (<see cref="ComponentAttribute.Version"/>) as they enter stage keys. The generated code
/// constructs the components, so the version is read from the attribute of the constructed object's type.
/// </summary>
public static class ComponentVersions
{
    /// <summary>The version on <paramref name="component"/>'s component attribute; 1 for a class without one (built in C#, not from YAML).</summary>
    public static int Of(object component) => Of(component.GetType());

    public static int Of(Type type) => type.GetCustomAttribute<ComponentAttribute>(inherit: false)?.Version ?? 1;

    /// <summary>
    /// Adds <c>&lt;key&gt;: {yaml name: version}</c> (e.g. "metric_versions") to a stage's options for the components it runs. Version 1 is the
    /// baseline every component had before versions existed and is left out, so keys from then stay valid; any bump
    /// changes the key of exactly the stages that run the component.
    /// </summary>
    public static void AddTo(JsonObject options, string key, IEnumerable<(string Name, object Component)> components)
    {
        var node = new JsonObject();
        foreach (var (name, component) in components)
        {
            int v = Of(component);
            if (v == 1) continue;
            if (node[name] is { } seen && seen.GetValue<int>() != v)
                throw new InvalidOperationException($"Two components named '{name}' have different versions ({seen} and {v}).");
            node[name] = v;
        }
        if (node.Count > 0) options[key] = node;
    }
}
