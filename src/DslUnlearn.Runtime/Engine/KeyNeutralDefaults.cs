using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using DslUnlearn.Components;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>
/// The runtime's side of the key-neutral keys (<see cref="KeyNeutral"/>): the <c>[Option(KeyNeutral = ...)]</c>s of the spec
/// records and of the component options, read once by reflection from <see cref="ExperimentSpec"/> down, and the JSON drop
/// that leaves a key at its neutral value out of a stage key. The generator reads the same attributes into the static
/// plan's drops; <c>KeyNeutralTests</c> holds the two lists equal.
/// </summary>
public static class KeyNeutralDefaults
{
    /// <summary>Every key-neutral key, by its path in the resolved spec's canonical JSON.</summary>
    public static IReadOnlyList<KeyNeutral> All { get; } = Read();

    /// <summary>
    /// Removes from <paramref name="node"/>, the canonical JSON of the spec value at path <paramref name="at"/> ("" the
    /// resolved spec, "finetune", "testbed", "testbed.pretrain"), every key-neutral key below it that holds its neutral value.
    /// </summary>
    public static JsonObject WithoutKeyNeutralDefaults(this JsonObject node, string at)
    {
        foreach (var n in All)
        {
            var prefix = at.Length == 0 ? "" : at + ".";
            if (n.Path.StartsWith(prefix, StringComparison.Ordinal)) Remove(node, n.Path.Substring(prefix.Length).Split('.'), 0, n);
        }

        return node;
    }

    /// <summary>Whether <paramref name="value"/> (canonical JSON) is the neutral value of the key-neutral key at <paramref name="path"/>.</summary>
    public static bool IsNeutral(string path, JsonNode? value)
        => All.FirstOrDefault(n => n.Path == path) is { } n && Equal(value, n.Value);

    private static void Remove(JsonObject node, string[] segments, int i, KeyNeutral neutral)
    {
        var segment = segments[i];
        bool each = segment.EndsWith("[*]", StringComparison.Ordinal);
        var name = each ? segment[..^3] : segment;
        if (!node.TryGetPropertyValue(name, out var child)) return;
        if (i == segments.Length - 1)
        {
            if (!each && Equal(child, neutral.Value)) node.Remove(name);
            return;
        }

        var next = each ? (child as JsonArray)?.OfType<JsonObject>() ?? [] : child is JsonObject o ? [o] : Enumerable.Empty<JsonObject>();
        foreach (var element in next) Remove(element, segments, i + 1, neutral);
    }

    /// <summary>A canonical JSON value against the attribute's YAML text: ~ is null, then booleans, numbers and strings (enums snake_case).</summary>
    private static bool Equal(JsonNode? value, string neutral)
    {
        if (neutral == "~") return value is null;
        if (value is not JsonValue v) return false;
        return v.GetValueKind() switch
        {
            JsonValueKind.True or JsonValueKind.False => bool.TryParse(neutral, out var b) && b == v.GetValue<bool>(),
            JsonValueKind.Number => decimal.TryParse(neutral, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == v.GetValue<decimal>(),
            JsonValueKind.String => v.GetValue<string>() == neutral,
            _ => false,
        };
    }

    private static IReadOnlyList<KeyNeutral> Read()
    {
        var found = new List<KeyNeutral>();
        Walk(typeof(ExperimentSpec), "", null, found);
        return found;
    }

    /// <summary>
    /// The key-neutral keys of a spec record at JSON path <paramref name="prefix"/>: its <c>[Option]</c> properties (only those
    /// in <paramref name="only"/>, the <c>[NestedKey]</c>s of a nested use, when given), its nested records and lists of
    /// records, and the options of the components it holds (every compiled component of that interface).
    /// </summary>
    private static void Walk(Type record, string prefix, IReadOnlySet<string>? only, List<KeyNeutral> found)
    {
        foreach (var p in record.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var path = prefix + CanonicalJson.SnakeCase(p.Name);
            var option = p.GetCustomAttribute<OptionAttribute>(inherit: true);
            if (ComponentOptions(p.PropertyType) is { } optionTypes)
            {
                foreach (var o in optionTypes)
                    foreach (var op in o.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                        if (op.GetCustomAttribute<OptionAttribute>(inherit: true)?.KeyNeutral is { } v)
                            KeyNeutral.AddOnce(found, new KeyNeutral(path + ".options." + CanonicalJson.SnakeCase(op.Name), v));
                continue;
            }

            if (option is null || (only is not null && !only.Contains(option.Key ?? CanonicalJson.SnakeCase(p.Name)))) continue;
            if (option.KeyNeutral is { } value) KeyNeutral.AddOnce(found, new KeyNeutral(path, value));
            var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            bool list = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>);
            var element = list ? type.GetGenericArguments()[0] : type;
            if (element.IsClass && element.Namespace?.StartsWith("DslUnlearn.Specs", StringComparison.Ordinal) == true)
            {
                var nested = p.GetCustomAttributes<NestedKeyAttribute>(inherit: true).Select(k => k.Key).ToHashSet(StringComparer.Ordinal);
                Walk(element, path + (list ? "[*]." : "."), nested.Count > 0 ? nested : null, found);
            }
        }
    }

    /// <summary>
    /// A component interface's options records (the one constructor parameter of each component implementing it, in this
    /// assembly and in the loaded ones that reference it, as the generator reads the compilation's references), else null.
    /// </summary>
    private static IEnumerable<Type>? ComponentOptions(Type type)
    {
        if (!type.IsInterface) return null;
        var runtime = typeof(ComponentAttribute).Assembly;
        var components = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a == runtime || a.GetReferencedAssemblies().Any(r => r.Name == runtime.GetName().Name))
            .SelectMany(Types)
            .Where(t => t.IsClass && !t.IsAbstract && type.IsAssignableFrom(t) && t.GetCustomAttribute<ComponentAttribute>() is not null)
            .Select(t => t.GetConstructors())
            .Where(c => c.Length == 1 && c[0].GetParameters().Length == 1) // the component contract; the build refuses the others
            .Select(c => c[0].GetParameters()[0].ParameterType)
            .Distinct().ToList();
        return components.Count == 0 ? null : components;
    }

    private static IEnumerable<Type> Types(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }
}
