namespace DslUnlearn.Training;

/// <summary>Exact JSON encodings for loop state (doubles by their bits, so NaN and -0 survive).</summary>
public static class LoopState
{
    public static JsonNode Bits(double d) => JsonValue.Create(BitConverter.DoubleToInt64Bits(d).ToString("X16", CultureInfo.InvariantCulture));
    public static double Double(JsonNode? n) => BitConverter.Int64BitsToDouble(long.Parse(n!.GetValue<string>(), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    public static JsonNode U64(ulong v) => JsonValue.Create(v.ToString("X16", CultureInfo.InvariantCulture));
    public static ulong U64(JsonNode? n) => ulong.Parse(n!.GetValue<string>(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    public static JsonArray Ints(IEnumerable<int> v) => new(v.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
    public static int[] Ints(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
}
