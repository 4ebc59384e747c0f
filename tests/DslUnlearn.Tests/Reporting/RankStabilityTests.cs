using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

/// <summary>How often each pair of methods keeps its order across seeds, on hand-made runs.</summary>
public class RankStabilityTests
{
    [Fact]
    public void Each_pair_of_unlearned_models_counts_the_seeds_that_keep_its_order()
    {
        // forget ES per seed: ga 0.2 / 0.5 / 0.3, gd 0.4 / 0.4 / 0.6, npo 0.1 / 0.1 / 0.1
        var runs = new[] { Run(1, 0.2, 0.4, 0.1), Run(2, 0.5, 0.4, 0.1), Run(3, 0.3, 0.6, 0.1) };
        var groups = CellAggregation.Group(runs);
        var pairs = RankStability.Pairs(groups).Where(p => p.Split == "forget").ToList();
        Assert.Equal(3, pairs.Count); // the target is not a method: only ga-gd, ga-npo, gd-npo

        var gaGd = pairs.Single(p => p is { A: "ga", B: "gd" });
        Assert.Equal((1, 2, 0, 3), (gaGd.AHigher, gaGd.BHigher, gaGd.Ties, gaGd.N));
        Assert.Equal(2.0 / 3, gaGd.Kept, 12);
        var gaNpo = pairs.Single(p => p is { A: "ga", B: "npo" });
        Assert.Equal(1.0, gaNpo.Kept);
        var retain = RankStability.Pairs(groups).Single(p => p is { Split: "retain", A: "ga", B: "gd" });
        Assert.Equal((0, 0, 3), (retain.AHigher, retain.BHigher, retain.Ties)); // equal retain values: ties, order not kept
        Assert.Equal(0.0, retain.Kept);

        string md = RankStability.Markdown(RankStability.Pairs(groups));
        Assert.Contains("| (seeds only) | es_exact | forget | ga | gd | 1 | 2 | 0 | 0.667 |", md);
        Assert.Contains("cells,metric,split,a,b,a_higher,b_higher,ties,n,kept\n,es_exact,forget,ga,gd,1,2,0,3,0.6666666666666666\n", RankStability.Csv(RankStability.Pairs(groups)));

        Assert.Empty(RankStability.Pairs(CellAggregation.Group([runs[0]]))); // one seed: nothing to say
    }

    private static RunRecord Run(int seed, double ga, double gd, double npo)
    {
        var spec = TestSpecs.Tiny("unused") with
        {
            Seed = seed, Cell = $"seed={seed}",
            Metrics = [new MetricSpec { Name = "es_exact", Metric = new DslUnlearn.Metrics.EsExactMetric(new DslUnlearn.Metrics.NoOptions()), Splits = TestSpecs.BothSplits }],
        };
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        ModelEvaluation M(string name, string kind, double forget) => new(name, kind, kind == "unlearned" ? name : null,
            [new MetricValues("es_exact", SplitKind.Forget, [forget], forget), new MetricValues("es_exact", SplitKind.Retain, [0.9], 0.9)]);
        return new RunRecord(spec, data, 1000, 0.5, [M("target", "target", 0.9), M("ga", "unlearned", ga), M("gd", "unlearned", gd), M("npo", "unlearned", npo)],
            new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>>());
    }
}
