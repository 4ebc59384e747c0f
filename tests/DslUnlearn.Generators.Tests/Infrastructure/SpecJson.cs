using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace DslUnlearn.Generators.Tests.Infrastructure;

/// <summary>
/// The resolved spec as normalized JSON: the constructed ExperimentSpec walked by reflection, so component options
/// show every value the run uses, defaults from the options records' initializers included.
/// </summary>
internal static class SpecJson
{
    public static string Serialize(object? value)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(w, value, 0);
        }

        return Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    private static void Write(Utf8JsonWriter w, object? value, int depth)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                return;
            case string s:
                w.WriteStringValue(s);
                return;
            case bool b:
                w.WriteBooleanValue(b);
                return;
            case int or long or short:
                w.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case double or float:
                w.WriteNumberValue(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case DslUnlearn.Specs.Vocabulary.StepCount count when count.Unit == DslUnlearn.Specs.Vocabulary.StepUnit.Steps:
                w.WriteNumberValue((long)count.Value); // as the int it replaced: existing snapshots stay
                return;
            case DslUnlearn.Specs.Vocabulary.StepCount count:
                w.WriteStringValue(count.ToString());
                return;
            case Enum e:
                w.WriteStringValue(ComponentCatalog.SnakeCase(e.ToString()));
                return;
            case IEnumerable sequence:
                w.WriteStartArray();
                foreach (var item in sequence)
                {
                    Write(w, item, depth + 1);
                }

                w.WriteEndArray();
                return;
        }

        if (depth > 16)
        {
            w.WriteStringValue("<too deep>");
            return;
        }

        var type = value.GetType();
        w.WriteStartObject();
        if (type.Namespace is not ("DslUnlearn.Specs" or "DslUnlearn.Specs.Vocabulary"))
        {
            w.WriteString("$type", type.FullName);
        }

        foreach (var property in Properties(type))
        {
            object? v;
            try
            {
                v = property.GetValue(value);
            }
            catch (TargetInvocationException ex)
            {
                v = $"<{ex.InnerException?.GetType().Name}>";
            }

            w.WritePropertyName(property.Name);
            Write(w, v, depth + 1);
        }

        w.WriteEndObject();
    }

    /// <summary>Public instance properties, base class first, each class in declaration order.</summary>
    private static IEnumerable<PropertyInfo> Properties(Type type)
    {
        var chain = new List<Type>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            chain.Insert(0, t);
        }

        return chain.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true } && !p.GetMethod.IsVirtual || p.GetMethod is { IsPublic: true, IsVirtual: true } && p.GetMethod.GetBaseDefinition() == p.GetMethod)
            .Where(p => p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken));
    }
}
