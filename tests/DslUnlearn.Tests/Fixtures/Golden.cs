using DslUnlearn.Tests.Metrics;

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

    /// <summary>
    /// Every component named in the fixture's "versions" object is at that version (its attribute's
    /// <see cref="DslUnlearn.Components.ComponentAttribute.Version"/>): a fixture regenerated for new numbers fails until the
    /// component is bumped, and a bump fails until the fixture is regenerated.
    /// </summary>
    public static void AssertVersions(JsonElement fixture)
    {
        var byName = typeof(DslUnlearn.Metrics.IMetric).Assembly.GetTypes()
            .Select(t => (Type: t, Attribute: System.Reflection.CustomAttributeExtensions.GetCustomAttribute<DslUnlearn.Components.ComponentAttribute>(t, inherit: false)))
            .Where(x => x.Attribute is not null).ToDictionary(x => x.Attribute!.Name, x => x.Type);
        var versions = fixture.GetProperty("versions").EnumerateObject().ToList();
        Assert.NotEmpty(versions);
        foreach (var v in versions)
        {
            Assert.True(byName.TryGetValue(v.Name, out var type), $"the fixture names component '{v.Name}', which this build does not have");
            Support.ComponentVersionAssert.AssertVersion(type!, v.Value.GetInt32());
        }
    }

    /// <summary>A bigram model whose logits are the fixture's matrix (rows: current token, columns: next token).</summary>
    public static BigramLM Bigram(JsonElement logits)
    {
        var w = logits.EnumerateArray().Select(Doubles).ToArray();
        var m = new BigramLM(w.Length);
        for (int a = 0; a < w.Length; a++)
            for (int b = 0; b < w.Length; b++) m.Set(a, b, w[a][b]);
        return m;
    }

    /// <summary>The fixture's question/answer cases as forget examples (author "a").</summary>
    public static QaExample[] Examples(IEnumerable<JsonElement> cases) => cases
        .Select((c, i) => new QaExample(i, "a", c.GetProperty("question").GetString()!, c.GetProperty("answer").GetString()!, "unused")).ToArray();

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
