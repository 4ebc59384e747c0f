using System.Collections;
using System.Reflection;
using System.Security.Cryptography;

namespace DslUnlearn.Engine;

/// <summary>
/// Canonical JSON for stage keys: objects with sorted keys, compact, numbers in shortest round-trip form,
/// enums as snake_case names. Any resolved-spec object (records, immutable arrays, option records, method
/// instances) becomes a <see cref="JsonNode"/> by reflection over its runtime type's public properties, so a
/// new option on a method changes the key of exactly the stages that use that method.
/// </summary>
public static class CanonicalJson
{
    private const int MaxDepth = 16;

    /// <summary>Compact canonical text of <paramref name="node"/> (object keys sorted ordinally).</summary>
    public static string Serialize(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Write(w, node);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Lower-case hex SHA-256 of the canonical text.</summary>
    public static string Hash(JsonNode? node) => Sha256Hex(Encoding.UTF8.GetBytes(Serialize(node)));

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A JSON tree of a value: public readable instance properties of its runtime type, recursively.</summary>
    public static JsonNode? FromObject(object? value) => FromObject(value, declaredAbstract: false, depth: 0);

    private static JsonNode? FromObject(object? value, bool declaredAbstract, int depth)
    {
        if (depth > MaxDepth) throw new InvalidOperationException("CanonicalJson: object graph too deep (a cycle?).");
        switch (value)
        {
            case null: return null;
            case string s: return JsonValue.Create(s);
            case bool b: return JsonValue.Create(b);
            case Enum e: return JsonValue.Create(SnakeCase(e.ToString()));
            case double d: return Number(d);
            case float f: return Number(f);
            case decimal m: return JsonValue.Create(m);
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                return JsonValue.Create(Convert.ToDecimal(value, CultureInfo.InvariantCulture));
            case JsonNode n: return n.DeepClone();
            // A step count in steps hashes as the int it replaced (existing stage keys stay valid); others as "2 epochs", "10%".
            case Specs.Vocabulary.StepCount sc: return sc.Unit == Specs.Vocabulary.StepUnit.Steps ? JsonValue.Create((decimal)sc.Value) : JsonValue.Create(sc.ToString());
            case IDictionary dict:
            {
                var o = new JsonObject();
                foreach (DictionaryEntry entry in dict)
                    o[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!] = FromObject(entry.Value, true, depth + 1);
                return o;
            }
            case IEnumerable items:
            {
                var a = new JsonArray();
                foreach (var item in items) a.Add(FromObject(item, true, depth + 1));
                return a;
            }
        }
        var type = value.GetType();
        if (type.IsPrimitive) return JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture));
        if (typeof(Delegate).IsAssignableFrom(type) || typeof(IDisposable).IsAssignableFrom(type))
            return JsonValue.Create("<" + type.Name + ">"); // tensors, models, callbacks: never part of a key
        var obj = new JsonObject();
        if (declaredAbstract) obj["$type"] = type.Name;
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (p.GetIndexParameters().Length > 0 || !p.CanRead || p.Name == "EqualityContract") continue;
            var declared = p.PropertyType;
            bool isAbstract = declared.IsInterface || declared.IsAbstract || declared == typeof(object);
            obj[SnakeCase(p.Name)] = FromObject(p.GetValue(value), isAbstract, depth + 1);
        }
        return obj;
    }

    private static JsonNode Number(double d)
        => double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(d.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>snake_case of a C# name; the one definition is <see cref="StageShape.SnakeCase"/>, shared with the generator's static plan.</summary>
    public static string SnakeCase(string name) => StageShape.SnakeCase(name);

    private static void Write(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case null: w.WriteNullValue(); break;
            case JsonObject o:
                w.WriteStartObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(k);
                    Write(w, v);
                }
                w.WriteEndObject();
                break;
            case JsonArray a:
                w.WriteStartArray();
                foreach (var item in a) Write(w, item);
                w.WriteEndArray();
                break;
            default: node.WriteTo(w); break;
        }
    }
}
