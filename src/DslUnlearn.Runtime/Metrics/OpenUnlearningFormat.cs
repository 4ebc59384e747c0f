using DslUnlearn.IO;

namespace DslUnlearn.Metrics;

/// <summary>
/// Reads and writes metric results in the shape of OpenUnlearning's eval logs (TOFU_EVAL.json):
/// <c>{"metric": {"agg_value": x, "value_by_index": {"0": {"score": v}, ...}}}</c>. Aggregate-only metrics
/// (forget_quality, model_utility, retain_utility, privleak) have no value_by_index. A NaN or infinite value is written as
/// null, as JSON has no NaN; reading null gives NaN back.
/// </summary>
public static class OpenUnlearningFormat
{
    public static string ToJson(IEnumerable<KeyValuePair<string, MetricResult>> metrics)
    {
        using var buffer = new MemoryStream();
        Write(buffer, metrics);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes <paramref name="path"/> atomically (temp file + rename).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, MetricResult>> metrics)
        => AtomicFile.Write(path, stream => Write(stream, metrics));

    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, MetricResult>> metrics)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        foreach (var (name, result) in metrics)
        {
            w.WriteStartObject(name);
            w.WriteNumberOrNull("agg_value", result.AggValue);
            if (result.ValueByIndex is { } values)
            {
                w.WriteStartObject("value_by_index");
                for (int i = 0; i < values.Count; i++)
                {
                    w.WriteStartObject(i.ToString(CultureInfo.InvariantCulture));
                    w.WriteNumberOrNull("score", values[i]);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static OrderedDictionary<string, MetricResult> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Eval log not found: {path}.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Parses an eval log. Entries of value_by_index may carry "score" (most metrics) or "prob" (OpenUnlearning's
    /// probability metrics); the first of those present is read. Indices missing from value_by_index become NaN.
    /// Entries that are not metric objects (no agg_value) are skipped.
    /// </summary>
    public static OrderedDictionary<string, MetricResult> Parse(string json, string source = "<json>")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new Data.DataFileException($"{source}: not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new Data.DataFileException($"{source}: expected a JSON object of metrics at the top level.");
            var result = new OrderedDictionary<string, MetricResult>(StringComparer.Ordinal);
            foreach (var metric in doc.RootElement.EnumerateObject())
            {
                if (metric.Value.ValueKind != JsonValueKind.Object || !metric.Value.TryGetProperty("agg_value", out var agg)) continue;
                double aggValue = ReadNumber(agg, $"{source}: {metric.Name}.agg_value");
                List<double>? values = null;
                if (metric.Value.TryGetProperty("value_by_index", out var byIndex) && byIndex.ValueKind == JsonValueKind.Object)
                {
                    var map = new SortedDictionary<int, double>();
                    foreach (var entry in byIndex.EnumerateObject())
                    {
                        string where = $"{source}: {metric.Name}.value_by_index[\"{entry.Name}\"]";
                        if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                            throw new Data.DataFileException($"{where}: the key must be a non-negative integer index.");
                        map[index] = entry.Value.ValueKind switch
                        {
                            JsonValueKind.Object when entry.Value.TryGetProperty("score", out var s) => ReadNumber(s, where + ".score"),
                            JsonValueKind.Object when entry.Value.TryGetProperty("prob", out var p) => ReadNumber(p, where + ".prob"),
                            JsonValueKind.Number or JsonValueKind.Null => ReadNumber(entry.Value, where),
                            _ => double.NaN,
                        };
                    }
                    values = [];
                    if (map.Count > 0)
                    {
                        int last = map.Keys.Max();
                        for (int i = 0; i <= last; i++) values.Add(map.TryGetValue(i, out var v) ? v : double.NaN);
                    }
                }
                result[metric.Name] = new MetricResult(aggValue, values);
            }
            return result;
        }
    }

    private static double ReadNumber(JsonElement e, string where) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.Null => double.NaN,
        _ => throw new Data.DataFileException($"{where}: expected a number or null, found {e.ValueKind}."),
    };
}
