using System.Text;

namespace DslUnlearn.Generators.Tests;

/// <summary>The language reference (docs/language-reference.md) is generated from the schema and the catalog, never edited by hand.</summary>
public sealed class ReferenceDocTests
{
    private const string Begin = "<!-- dsl-reference:begin (generated from the catalog by ReferenceDocTests; accept with DSLU_ACCEPT_SNAPSHOTS=1) -->";
    private const string End = "<!-- dsl-reference:end -->";

    [Fact]
    public void Language_reference_matches_the_catalog()
    {
        var readmePath = Path.Combine(RepoPaths.Root, "docs", "language-reference.md");
        var readme = File.ReadAllText(readmePath).Replace("\r\n", "\n");
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/language-reference.md lacks the dsl-reference markers");
        var expected = "\n" + ReferenceDoc.Render(SpecSchema.Create(GeneratorHarness.RuntimeCatalog));
        var actual = readme.Substring(start + Begin.Length, end - start - Begin.Length);
        if (actual == expected)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable(Approvals.AcceptVariable) == "1" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            File.WriteAllText(readmePath, readme.Substring(0, start + Begin.Length) + expected + readme.Substring(end), new UTF8Encoding(false));
            return;
        }

        Assert.Equal(expected, actual);
    }
}
