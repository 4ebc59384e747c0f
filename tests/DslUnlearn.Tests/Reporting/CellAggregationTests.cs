using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

/// <summary>Grouping of sweep cells by everything but the seed, and the aggregate table, on hand-made runs.</summary>
public class CellAggregationTests
{
    [Fact]
    public void Cells_differing_only_in_seed_group_together_and_other_values_give_their_own_rows()
    {
        var runs = new[]
        {
            Run("seed=1,finetune.lr=1e-3", 1, 0.2), Run("seed=1,finetune.lr=3e-3", 1, 0.6),
            Run("seed=2,finetune.lr=1e-3", 2, 0.4), Run("seed=2,finetune.lr=3e-3", 2, 0.6),
        };
        var groups = CellAggregation.Group(runs);
        Assert.Equal(["finetune.lr=1e-3", "finetune.lr=3e-3"], groups.Select(g => g.Label));
        Assert.Equal(["seed=1,finetune.lr=1e-3", "seed=2,finetune.lr=1e-3"], groups[0].Runs.Select(r => r.Spec.Cell));

        var column = groups[0].Table.Columns.Single(c => c.Split == "forget");
        var low = groups[0].Table.Get("ga", column)!;
        Assert.Equal(0.3, low.Mean, 12);                 // (0.2 + 0.4) / 2
        Assert.Equal(Math.Sqrt(0.02), low.Std, 12);      // sqrt(((0.1)^2 + (0.1)^2) / (2 - 1))
        Assert.Equal(2, low.N);
        Assert.Equal(0, groups[1].Table.Get("ga", column)!.Std, 12);

        string table = CellAggregation.Table(groups);
        Assert.Contains("| cells | model | n | ES exact forget | ES exact retain |" + Environment.NewLine + "|---|---|---:|---:|---:|" + Environment.NewLine, table);
        Assert.Contains("| finetune.lr=1e-3 | ga | 2 | 0.300 ± 0.141 | 0.900 ± 0.000 |", table);
        Assert.Contains("| finetune.lr=3e-3 | ga | 2 | 0.600 ± 0.000 |", table);
        string csv = CellAggregation.Csv(groups);
        Assert.StartsWith("cells,model,es_exact_forget_mean,es_exact_forget_std,es_exact_forget_n,", csv);
    }

    [Fact]
    public void A_group_of_one_cell_shows_no_std()
    {
        var groups = CellAggregation.Group([Run("data.forget_authors=2", 0, 0.25)]);
        Assert.Equal("data.forget_authors=2", Assert.Single(groups).Label);
        Assert.Contains("| data.forget_authors=2 | ga | 1 | 0.250 | 0.900 |", CellAggregation.Table(groups));
        Assert.Equal(Path.Combine("cells", "data.forget_authors=2"), CellAggregation.CellFolder("data.forget_authors=2"));
        Assert.Equal(Path.Combine("cells", "model.preset=a_b"), CellAggregation.CellFolder("model.preset=a/b"));
    }

    private static RunRecord Run(string cell, int seed, double forget)
    {
        var spec = TestSpecs.Tiny("unused") with
        {
            Seed = seed, Cell = cell,
            Metrics = [new MetricSpec { Name = "es_exact", Metric = new DslUnlearn.Metrics.EsExactMetric(new DslUnlearn.Metrics.NoOptions()), Splits = TestSpecs.BothSplits }],
        };
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        var ga = new ModelEvaluation("ga", "unlearned", "ga", [new MetricValues("es_exact", SplitKind.Forget, [forget], forget), new MetricValues("es_exact", SplitKind.Retain, [0.9], 0.9)]);
        return new RunRecord(spec, data, 1000, 0.5, [ga], new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>>());
    }
}
