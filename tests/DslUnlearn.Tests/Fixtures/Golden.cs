using System.Text.Json;

namespace DslUnlearn.Tests.Fixtures;

/// <summary>
/// Reads the golden fixtures under tests/fixtures/ (JSON written by the Python script beside each one, from the
/// reference definitions). Each fixture names its component and the component version it was checked at, so a
/// change of numbers without a version bump fails the fixture's test.
/// </summary>
internal static class Golden
{
    public static string Root { get; } = FindRoot();

    public static JsonElement Load(string relativePath)
    {
        string path = Path.Combine(Root, "tests", "fixtures", relativePath);
        if (!File.Exists(path)) throw new FileNotFoundException($"golden fixture {path} is missing; regenerate it with the make_fixture.py beside it.", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no DslUnlearn.sln above {AppContext.BaseDirectory}: the golden fixtures live in the repository's tests/fixtures.");
    }
}
