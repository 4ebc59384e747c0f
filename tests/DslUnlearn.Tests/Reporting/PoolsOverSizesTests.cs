using System.Text.Json.Serialization;
using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

/// <summary>
/// Faithfulness over pools of several model sizes as well as seeds (meta_eval.faithfulness.sizes): every member enters one
/// pool, against scipy's Mann-Whitney U in tests/fixtures/meta_eval/pools_over_sizes.py.
/// </summary>
public class PoolsOverSizesTests
{
    [Fact]
    public void F_pools_every_seed_and_size_as_scipy_does_and_the_table_names_the_sizes()
    {
        var cases = Load();
        var input = new ReportInput
        {
            Runs = [Run()],
            FaithfulnessPools = [.. cases.SelectMany(c => c.Members.Select(m => new PoolValue(c.Metric, "forget", m.Seed, m.Positive, m.Value) { Size = m.Size }))],
        };
        var rows = MetaEvalTables.Compute(input);
        foreach (var c in cases)
        {
            var row = rows.Single(r => r.Metric == c.Metric && r.Split == "forget");
            Assert.True(Math.Abs(row.Faithfulness - c.F) <= 1e-15, $"{c.Metric}: F {row.Faithfulness:R}, scipy {c.F:R}");
            Assert.NotEqual(c.FOwnSizeOnly, c.F); // the narrow size's members moved F: they are in the pool
        }

        var (md, csv) = MetaEvalTables.Tables(input);
        Assert.Contains("6 targets", md);
        Assert.Contains("seeds 1, 2, 3 at model sizes the spec's, h64-i192", md);
        Assert.Contains(csv.Split('\n'), l => l.StartsWith("es_exact,forget,F,,", StringComparison.Ordinal) && l.TrimEnd().EndsWith(",12", StringComparison.Ordinal));
    }

    private static RunRecord Run()
    {
        var spec = TestSpecs.Tiny("unused") with
        {
            Name = "sizes", Seed = 1,
            Metrics =
            [
                new MetricSpec { Name = "es_exact", Metric = new EsExactMetric(new NoOptions()), Splits = TestSpecs.BothSplits },
                new MetricSpec { Name = "nll", Metric = new NllMetric(new AnswerOptions()), Splits = TestSpecs.BothSplits },
            ],
        };
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        return new RunRecord(spec, data, 1000, 0.5, [], new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>>());
    }

    private static Case[] Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var json = File.ReadAllText(Path.Combine(dir!.FullName, "tests", "fixtures", "meta_eval", "pools_over_sizes.json"));
        return JsonSerializer.Deserialize<Fixture>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!.Cases;
    }

    private sealed record Fixture(Case[] Cases);

    private sealed record Case(string Metric, [property: JsonPropertyName("lower_is_better")] bool LowerIsBetter, Member[] Members, double F,
        [property: JsonPropertyName("f_own_size_only")] double FOwnSizeOnly);

    private sealed record Member(int Seed, string? Size, bool Positive, double Value);
}
