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

    [Fact]
    public void The_reference_marks_sweepable_exactly_the_keys_an_experiment_sweep_accepts()
    {
        // What the build accepts: the keys its "not sweepable" message lists (DSLU0027's argument).
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nsweep:\n  device: [cpu, auto]\n"));
        var message = Assert.Single(run.Diagnostics).GetMessage();
        var listed = message.Substring(message.IndexOf("sweepable keys: ", StringComparison.Ordinal) + "sweepable keys: ".Length).Split(';')[0].Split(", ");
        var rows = ReferenceDoc.Render(SpecSchema.Create(GeneratorHarness.RuntimeCatalog)).Split('\n')
            .TakeWhile(l => l.Length > 0).Skip(2).Select(l => l.Split(" | "))
            .Where(c => c[4] == "yes")
            .Select(c => (c[0] == "| top level" ? "" : c[0].Trim('|', ' ', '`') + ".") + c[1].Trim('`'))
            .ToArray();
        Assert.Equal(listed, rows);
        Assert.Equal(24, rows.Length);
    }
}
