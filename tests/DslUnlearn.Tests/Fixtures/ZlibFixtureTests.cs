namespace DslUnlearn.Tests.Fixtures;

public class ZlibFixtureTests
{
    [Fact]
    public void Zlib_lengths_equal_python_zlib_compress_on_every_fixture_text()
    {
        var f = Golden.Load("zlib/zlib_lengths.json");
        var mismatches = f.GetProperty("cases").EnumerateArray()
            .Select(c => (Text: c.GetProperty("text").GetString()!, Expected: c.GetProperty("zlib_length").GetInt32()))
            .Where(c => MiaZlibMetric.ZlibLength(c.Text) != c.Expected)
            .Select(c => $"{c.Expected} vs {MiaZlibMetric.ZlibLength(c.Text)}: {c.Text[..Math.Min(40, c.Text.Length)]}")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} texts differ from Python's zlib.compress:\n{string.Join("\n", mismatches.Take(10))}");
    }
}
