namespace DslUnlearn.IO;

/// <summary>JSON has no NaN or infinity: the one rule for every JSON the runtime writes (results.json, the cell
/// aggregates, OpenUnlearning's logs) is that such a value (an undefined metric, a diverged loss) is written as null.</summary>
public static class JsonNumbers
{
    public static void WriteNumberOrNull(this Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }
}
