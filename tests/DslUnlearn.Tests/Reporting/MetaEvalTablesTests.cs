using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

/// <summary>OpenUnlearning's Q, R and harmonic mean in tables/meta_eval, on hand-made before/after points.</summary>
public class MetaEvalTablesTests
{
    private static readonly Dictionary<string, IReadOnlyList<string>> Chains = new()
    {
        ["q4"] = ["quantize"], ["rl"] = ["relearn"], ["jb"] = ["jailbreak"], ["rl+probe"] = ["relearn", "probe"],
    };

    private static RobustnessPoint P(string metric, string attack, string split, string model, double before, double after) => new(metric, attack, split, model, before, after);

    /// <summary>
    /// Two unlearned models u1, u2 and the target (left out of the scores). es_exact forget: Q = (0.8 + 1) / 2 = 0.9;
    /// R = (min(0.1/0.4, 1) + min(0.1/0.1, 1)) / 2 = 0.625; HM = 2 * 0.625 * 0.9 / 1.525. nll forget (lower is better, Q on 1/m):
    /// Q = (min(1.6/2, 1) + min(3.3/3, 1)) / 2 = 0.9; R = (-0.5 / -1 + -0.5 / -1) / 2 = 0.5; HM = 0.9 / 1.4.
    /// es_exact retain: Q = 1; R from u1 only (u2 did not move: no R) = 0.02 / 0.05 = 0.4; HM = 0.8 / 1.4.
    /// </summary>
    private static ReportInput Input(bool oracle) => new()
    {
        Runs = [Run()],
        AttackChains = Chains,
        UnlearnedModels = ["u1", "u2"],
        Robustness =
        [
            P("es_exact", "q4", "forget", "target", 1.0, 2.0), P("es_exact", "rl", "forget", "target", 1.0, 1.0),
            P("es_exact", "q4", "forget", "u1", 0.2, 0.25), P("es_exact", "rl", "forget", "u1", 0.2, 0.6), P("es_exact", "jb", "forget", "u1", 0.2, 0.9),
            P("es_exact", "q4", "forget", "u2", 0.4, 0.4), P("es_exact", "rl", "forget", "u2", 0.4, 0.5), P("es_exact", "jb", "forget", "u2", 0.4, 0.1),
            P("es_exact", "rl+probe", "forget", "u1", 0.2, 0.0), P("es_exact", "rl+probe", "forget", "u2", 0.4, 0.0),
            P("nll", "q4", "forget", "u1", 2.0, 1.6), P("nll", "rl", "forget", "u1", 2.0, 1.0),
            P("nll", "q4", "forget", "u2", 3.0, 3.3), P("nll", "rl", "forget", "u2", 3.0, 2.0),
            P("es_exact", "q4", "retain", "u1", 0.9, 0.9), P("es_exact", "rl", "retain", "u1", 0.9, 0.95),
            P("es_exact", "q4", "retain", "u2", 0.8, 0.8), P("es_exact", "rl", "retain", "u2", 0.8, 0.8),
        ],
        OraclePoints = oracle
            ?
            [
                P("es_exact", "rl", "forget", "oracle", 0.1, 0.2), P("nll", "rl", "forget", "oracle", 2.5, 2.0),
                P("es_exact", "rl", "retain", "oracle", 0.9, 0.92), P("es_exact", "q4", "forget", "oracle", 0.1, 0.05),
            ]
            : [],
    };

    [Fact]
    public void Q_R_and_harmonic_mean_match_hand_computed_values_and_rank_metrics_on_forget()
    {
        var rows = MetaEvalTables.Compute(Input(oracle: true));
        Assert.Equal([("es_exact", "forget"), ("nll", "forget"), ("es_exact", "retain")], rows.Select(r => (r.Metric, r.Split)));

        var es = rows[0];
        Assert.Equal(["q4"], es.Quantization.Select(s => s.Attack)); // rl+probe is a chain: neither Q nor R
        Assert.Equal(["rl"], es.Relearning.Select(s => s.Attack));
        Assert.Equal(0.9, es.Q, 12);
        Assert.Equal(2, es.Quantization[0].Models);
        Assert.Equal(0.625, es.R, 12);
        Assert.Equal(2 * 0.625 * 0.9 / 1.525, es.HarmonicMean, 12);

        var nll = rows[1];
        Assert.Equal(0.9, nll.Q, 12);
        Assert.Equal(0.5, nll.R, 12);
        Assert.Equal(0.9 / 1.4, nll.HarmonicMean, 12);

        var retain = rows[2];
        Assert.Equal(1.0, retain.Q, 12);
        Assert.Equal(0.02 / 0.05, retain.R, 12);
        Assert.Equal(1, retain.Relearning[0].Models);
        Assert.Equal(2 * 0.4 / 1.4, retain.HarmonicMean, 12);

        Assert.Equal(["es_exact", "nll"], MetaEvalTables.Ranking(rows).Select(r => r.Metric));

        var (md, csv) = MetaEvalTables.Tables(Input(oracle: true));
        Assert.Contains("| metric | split | Q q4 | R rl | Q | R | HM |", md);
        Assert.Contains("| es_exact | forget | 0.900 | 0.625 | 0.900 | 0.625 | 0.738 |", md);
        Assert.Contains("| 1 | es_exact | forget | 0.738 | 0.625 | 0.900 |", md);
        Assert.Contains("| 2 | nll | forget | 0.643 | 0.500 | 0.900 |", md);
        Assert.Contains("with the oracle (retain-only) model as the retain model", md);
        Assert.Contains("es_exact,forget,Q,q4,0.9,2\n", csv);
        Assert.Contains("es_exact,forget,R,rl,0.625,2\n", csv);
        Assert.Contains("nll,forget,HM,,", csv);
    }

    [Fact]
    public void Without_an_oracle_R_is_skipped_said_so_and_metrics_rank_by_Q()
    {
        var input = Input(oracle: false);
        var rows = MetaEvalTables.Compute(input);
        Assert.All(rows, r => Assert.Empty(r.Relearning));
        Assert.All(rows, r => Assert.True(double.IsNaN(r.R) && double.IsNaN(r.HarmonicMean)));
        Assert.Equal(0.9, rows[0].Q, 12);
        var (md, _) = MetaEvalTables.Tables(input);
        Assert.Contains("R is not computed: the run has no oracle (retain-only) model", md);
        Assert.Contains("| metric | split | Q q4 | Q | R | HM |", md);
        Assert.Contains("| 1 | es_exact | forget | 0.900 |", md);

        // ReportBuilder writes the files beside the robustness table.
        var files = new Dictionary<string, byte[]>();
        ReportBuilder.Build(input, plots: false, (name, write) => { using var s = new MemoryStream(); write(s); files[name] = s.ToArray(); });
        Assert.Contains("tables/meta_eval.md", files.Keys);
        Assert.Contains("tables/meta_eval.csv", files.Keys);
    }

    /// <summary>
    /// Pools of 3 seeds. es_exact: targets 0.9, 0.8, 0.5 and oracles 0.1, 0.5, 0.2: of the 9 (target, oracle) pairs the target
    /// is higher in 8, ties once (0.5, 0.5): F = 8.5 / 9. nll (lower is better): targets 0.3, 0.2, 2.0, oracles 2.5, 2.1, 1.0:
    /// the target is lower in 8 pairs (all but 2.0 against 1.0), F = 8 / 9. es_exact forget's robustness is HM(0.625, 0.9) (the first test), its overall
    /// HM(8.5/9, that). truth_ratio (default options: closer_to_1 on forget, lower = more knowledge) has pools only: a row of its own
    /// with F = 1 (the target's 0.4 is below the oracle's 0.6, i.e. further from R = 1), overall = F.
    /// </summary>
    private static ReportInput WithPools(ReportInput input) => input with
    {
        FaithfulnessPools =
        [
            .. new[] { (1, 0.9, 0.1), (2, 0.8, 0.5), (3, 0.5, 0.2) }.SelectMany(t => new[] { new PoolValue("es_exact", "forget", t.Item1, true, t.Item2), new PoolValue("es_exact", "forget", t.Item1, false, t.Item3) }),
            .. new[] { (1, 0.3, 2.5), (2, 0.2, 2.1), (3, 2.0, 1.0) }.SelectMany(t => new[] { new PoolValue("nll", "forget", t.Item1, true, t.Item2), new PoolValue("nll", "forget", t.Item1, false, t.Item3) }),
            new PoolValue("truth_ratio", "forget", 1, true, 0.4), new PoolValue("truth_ratio", "forget", 1, false, 0.6),
        ],
    };

    [Fact]
    public void Faithfulness_joins_the_forget_rows_and_the_ranking_goes_by_the_overall_harmonic_mean()
    {
        var rows = MetaEvalTables.Compute(WithPools(Input(oracle: true)));
        var es = rows.Single(r => r.Metric == "es_exact" && r.Split == "forget");
        Assert.Equal(8.5 / 9, es.Faithfulness, 12);
        Assert.Equal((3, 3), (es.Positives, es.Negatives));
        Assert.Equal(2 * 0.625 * 0.9 / 1.525, es.Robustness, 12);
        double hm = 2 * 0.625 * 0.9 / 1.525;
        Assert.Equal(2 * (8.5 / 9) * hm / (8.5 / 9 + hm), es.Overall, 12);
        var nll = rows.Single(r => r.Metric == "nll");
        Assert.Equal(8.0 / 9, nll.Faithfulness, 12);
        Assert.True(double.IsNaN(rows.Single(r => r.Metric == "es_exact" && r.Split == "retain").Faithfulness));
        var tr = rows.Single(r => r.Metric == "truth_ratio");
        Assert.Equal(1, tr.Faithfulness);
        Assert.True(double.IsNaN(tr.Robustness));
        Assert.Equal(1, tr.Overall);
        Assert.Equal(["truth_ratio", "es_exact", "nll"], MetaEvalTables.Ranking(rows).Select(r => r.Metric));

        var (md, csv) = MetaEvalTables.Tables(WithPools(Input(oracle: true)));
        Assert.Contains("| metric | split | F | Q q4 | R rl | Q | R | HM | overall |", md);
        Assert.Contains("| es_exact | forget | 0.944 | 0.900 | 0.625 | 0.900 | 0.625 | 0.738 | 0.828 |", md);
        Assert.Contains("| 1 | truth_ratio | forget | 1.000 | 1.000 |", md);
        Assert.Contains("| 2 | es_exact | forget | 0.828 | 0.944 | 0.738 | 0.625 | 0.900 |", md);
        Assert.Contains("| nll | forget | 3 | 0.833 | 3 | 1.867 | 0.889 |", md);
        Assert.Contains("seeds 1, 2, 3", md);
        Assert.Contains($"es_exact,forget,F,,{(8.5 / 9).ToString("R", System.Globalization.CultureInfo.InvariantCulture)},6\n", csv);
        Assert.Contains("truth_ratio,forget,overall,,1,", csv);
    }

    [Fact]
    public void Pools_alone_make_the_table_without_any_attack()
    {
        var input = WithPools(Input(oracle: false)) with { Robustness = [], AttackChains = new Dictionary<string, IReadOnlyList<string>>() };
        Assert.True(MetaEvalTables.Applies(input));
        Assert.False(MetaEvalTables.Applies(Input(oracle: false) with { Robustness = [] }));
        var (md, _) = MetaEvalTables.Tables(input);
        Assert.Contains("Q and R are not computed", md);
        Assert.Contains("| 1 | truth_ratio | forget | 1.000 | 1.000 | n/a | n/a | n/a |", md);
        Assert.Contains("| 2 | es_exact | forget | 0.944 | 0.944 | n/a | n/a | n/a |", md);
    }

    private static RunRecord Run()
    {
        var spec = TestSpecs.Tiny("unused") with
        {
            Name = "meta", Seed = 3,
            Metrics =
            [
                new MetricSpec { Name = "es_exact", Metric = new DslUnlearn.Metrics.EsExactMetric(new DslUnlearn.Metrics.NoOptions()), Splits = TestSpecs.BothSplits },
                new MetricSpec { Name = "truth_ratio", Metric = new TruthRatioMetric(new TruthRatioOptions()), Splits = TestSpecs.BothSplits },
            ],
        };
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        ModelEvaluation Model(string name) => new(name, "unlearned", "ga",
            [new MetricValues("es_exact", SplitKind.Forget, [0.5], 0.5), new MetricValues("es_exact", SplitKind.Retain, [0.5], 0.5)]);
        return new RunRecord(spec, data, 1000, 0.5, [Model("u1"), Model("u2")], new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>>());
    }
}
