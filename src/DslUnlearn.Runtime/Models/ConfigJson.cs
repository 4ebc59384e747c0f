namespace DslUnlearn.Models;

/// <summary>
/// Typed reads from a Hugging Face config.json object that collect every problem (missing key, wrong type)
/// instead of stopping at the first, so one error message lists everything to fix. Unknown keys are
/// ignored: real config.json files carry many keys (transformers_version, torch_dtype, ...) that do not
/// change the architecture.
/// </summary>
internal sealed class ConfigJson(JsonElement root, string source)
{
    public List<string> Problems { get; } = [];
    public string Source { get; } = source;

    public bool Has(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public int Int(string key, int? fallback = null)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (fallback is null) Problems.Add($"{key} is missing (required).");
            return fallback ?? 0;
        }
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)) return i;
        Problems.Add($"{key} must be an integer, got {v.GetRawText()}.");
        return fallback ?? 0;
    }

    public double Double(string key, double fallback)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        Problems.Add($"{key} must be a number, got {v.GetRawText()}.");
        return fallback;
    }

    public bool Bool(string key, bool fallback)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        Problems.Add($"{key} must be true or false, got {v.GetRawText()}.");
        return fallback;
    }

    public string? String(string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        Problems.Add($"{key} must be a string, got {v.GetRawText()}.");
        return null;
    }

    public JsonElement? Object(string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Object) return v;
        Problems.Add($"{key} must be an object, got {v.GetRawText()}.");
        return null;
    }

    /// <summary>Requires <paramref name="key"/> to be absent or equal to one of the supported values.</summary>
    public void Expect(string key, params string[] supported)
    {
        string? value = String(key);
        if (value is not null && !supported.Contains(value))
            Problems.Add($"{key} = \"{value}\" is not supported; supported: {string.Join(", ", supported)}.");
    }

    /// <summary>Throws a <see cref="ModelConfigException"/> naming the file when anything was wrong.</summary>
    public void ThrowIfProblems()
    {
        if (Problems.Count > 0) throw new ModelConfigException(Problems.Select(p => $"{Source}: {p}").ToList());
    }

    public static string Num(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
