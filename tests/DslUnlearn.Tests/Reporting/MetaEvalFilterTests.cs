using DslUnlearn.Reporting;
using MetaEvaluation = DslUnlearn.Robustness.MetaEvaluation;

namespace DslUnlearn.Tests.Reporting;

/// <summary>
/// OpenUnlearning's model filter for R and Q (utility at least 0.8 x the target's; per metric, the faithfulness pools'
/// accuracy-best threshold) against tests/fixtures/meta_eval/model_filter.json, written by model_filter.py beside it.
/// By hand, es_exact on forget: utility drops u3 (0.39 &lt; 0.4) and u5; the pools' threshold is (0.3 + 0.6) / 2 and
/// drops u2 (0.5) and u4 (0.45, above the float 0.44999...); u1 and u6 remain: Q = (0.8 + 1) / 2 = 0.9,
/// R = (0.1 / 0.4 + 1) / 2 = 0.625, against 0.783 and 0.567 over all six.
/// </summary>
public class MetaEvalFilterTests
{
    private static readonly JsonElement F = Load();

    [Fact]
    public void The_pools_threshold_is_the_first_accuracy_best_midpoint_as_the_fixture_computes_it()
    {
        foreach (var pool in F.GetProperty("pools").EnumerateObject())
        {
            double t = MetaEvaluation.KnowledgeThreshold(Doubles(pool.Value, "positives"), Doubles(pool.Value, "negatives"), pool.Value.GetProperty("lower_is_better").GetBoolean());
            Assert.Equal(F.GetProperty("thresholds").GetProperty(pool.Name).GetDouble(), t);
        }
        Assert.True(double.IsNaN(MetaEvaluation.KnowledgeThreshold([0.3, 0.3], [0.3], lowerIsBetter: false)));
        Assert.True(double.IsNaN(MetaEvaluation.KnowledgeThreshold([0.3], [], lowerIsBetter: false)));
    }

    [Fact]
    public void R_and_Q_average_over_the_models_both_filters_keep()
    {
        var input = Input(Filter(0.8, knowledge: true));
        var rows = MetaEvalTables.Compute(input);
        foreach (var expected in F.GetProperty("rows").EnumerateArray())
        {
            var row = rows.Single(r => r.Metric == expected.GetProperty("metric").GetString() && r.Split == expected.GetProperty("split").GetString());
            string at = $"{row.Metric}/{row.Split}";
            Assert.True(Math.Abs(row.Q - expected.GetProperty("q").GetDouble()) <= 1e-15, $"{at} Q {row.Q:R}");
            Assert.True(Math.Abs(row.R - expected.GetProperty("r").GetDouble()) <= 1e-15, $"{at} R {row.R:R}");
            Assert.Equal(expected.GetProperty("kept").GetArrayLength(), row.Kept);
            Assert.Equal(expected.GetProperty("models").GetInt32(), row.Models);
            // The filter matters here: over every model the scores differ.
            Assert.NotEqual(expected.GetProperty("r_unfiltered").GetDouble(), row.R, 6);
        }
        var es = rows.Single(r => r.Metric == "es_exact" && r.Split == "forget");
        Assert.Equal((0.9, 0.625, 2), (Math.Round(es.Q, 12), Math.Round(es.R, 12), es.Kept));

        var (md, csv) = MetaEvalTables.Tables(input);
        Assert.Contains("Utility filter: model_utility on retain at least 0.800 x the target's (0.500): kept 4 of 6, dropped u3, u5. ", md);
        Assert.Contains("accuracy-best threshold (es_exact 0.450, nll 1.500)", md);
        Assert.Contains("| metric | split | F | Q q4 | R rl | Q | R | HM | kept | overall |", md);
        Assert.Contains("| es_exact | forget | 0.889 | 0.900 | 0.625 | 0.900 | 0.625 | 0.738 | 2/6 |", md); // F = 8/9: the pools are not filtered
        Assert.Contains("es_exact,forget,kept,,2,6\n", csv);
        Assert.Contains("es_exact,forget,dropped,,4,6\n", csv);
        Assert.Contains("es_exact,retain,kept,,4,6\n", csv);
    }

    [Fact]
    public void Without_a_meta_eval_section_every_model_counts_and_each_filter_can_be_turned_off()
    {
        foreach (var (spec, field) in new (MetaEvalSpec?, string)[] { (null, "unfiltered"), (Filter(0, knowledge: false), "unfiltered") })
        {
            var rows = MetaEvalTables.Compute(Input(spec));
            foreach (var expected in F.GetProperty("rows").EnumerateArray())
            {
                var row = rows.Single(r => r.Metric == expected.GetProperty("metric").GetString() && r.Split == expected.GetProperty("split").GetString());
                Assert.Equal(expected.GetProperty("q_" + field).GetDouble(), row.Q, 12);
                Assert.Equal(expected.GetProperty("r_" + field).GetDouble(), row.R, 12);
                Assert.Equal(6, row.Kept);
            }
        }
        Assert.DoesNotContain("kept", MetaEvalTables.Tables(Input(null)).Markdown);

        // Utility only: retain rows keep the four models with enough utility; forget rows are not thresholded.
        var utilityOnly = MetaEvalTables.Compute(Input(Filter(0.8, knowledge: false)));
        Assert.All(utilityOnly, r => Assert.Equal(4, r.Kept));
        Assert.All(utilityOnly, r => Assert.True(double.IsNaN(r.Threshold)));
    }

    [Fact]
    public void A_utility_metric_the_run_does_not_measure_is_said_and_filters_nothing()
    {
        var spec = Filter(0.8, knowledge: false) with { Utility = new UtilityFilterSpec { Metric = "rouge_l_recall", Split = SplitKind.Retain, MinShare = 0.8 } };
        var rows = MetaEvalTables.Compute(Input(spec));
        Assert.All(rows, r => Assert.Equal(6, r.Kept));
        Assert.Contains("Utility filter not applied: the run does not measure rouge_l_recall on retain on the target", MetaEvalTables.Tables(Input(spec)).Markdown);
    }

    private static MetaEvalSpec Filter(double minShare, bool knowledge) => new()
    {
        Utility = new UtilityFilterSpec { Metric = "model_utility", Split = SplitKind.Retain, MinShare = minShare },
        KnowledgeFilter = knowledge,
    };

    private static ReportInput Input(MetaEvalSpec? metaEval)
    {
        var points = new List<RobustnessPoint>();
        foreach (var p in F.GetProperty("points").EnumerateArray())
        {
            string metric = p.GetProperty("metric").GetString()!, split = p.GetProperty("split").GetString()!, model = p.GetProperty("model").GetString()!;
            double before = p.GetProperty("before").GetDouble();
            points.Add(new RobustnessPoint(metric, "q4", split, model, before, p.GetProperty("after_quantize").GetDouble()));
            points.Add(new RobustnessPoint(metric, "rl", split, model, before, p.GetProperty("after_relearn").GetDouble()));
        }
        var oracle = F.GetProperty("oracle").EnumerateArray()
            .Select(o => new RobustnessPoint(o.GetProperty("metric").GetString()!, "rl", o.GetProperty("split").GetString()!, "oracle", o.GetProperty("before").GetDouble(), o.GetProperty("after").GetDouble())).ToList();
        var pools = new List<PoolValue>();
        foreach (var pool in F.GetProperty("pools").EnumerateObject())
        {
            var pos = Doubles(pool.Value, "positives");
            var neg = Doubles(pool.Value, "negatives");
            pools.AddRange(pos.Select((v, i) => new PoolValue(pool.Name, "forget", i, true, v)));
            pools.AddRange(neg.Select((v, i) => new PoolValue(pool.Name, "forget", i, false, v)));
        }
        var utility = F.GetProperty("utility").EnumerateObject().ToList();
        return new ReportInput
        {
            Runs = [Run(metaEval, F.GetProperty("target_utility").GetDouble(), utility.Select(u => (u.Name, u.Value.GetDouble())).ToList())],
            AttackChains = new Dictionary<string, IReadOnlyList<string>> { ["q4"] = ["quantize"], ["rl"] = ["relearn"] },
            UnlearnedModels = utility.Select(u => u.Name).ToList(),
            Robustness = points, OraclePoints = oracle, FaithfulnessPools = pools,
        };
    }

    private static RunRecord Run(MetaEvalSpec? metaEval, double targetUtility, IReadOnlyList<(string Name, double Utility)> unlearned)
    {
        var spec = TestSpecs.Tiny("unused") with { Name = "filter", Seed = 3, MetaEval = metaEval };
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        static ModelEvaluation Model(string name, string kind, double utility) => new(name, kind, kind == "target" ? null : "ga",
            [new MetricValues("model_utility", SplitKind.Retain, [], utility)]);
        var models = new List<ModelEvaluation> { Model("target", "target", targetUtility) };
        models.AddRange(unlearned.Select(u => Model(u.Name, "unlearned", u.Utility)));
        return new RunRecord(spec, data, 1000, 0.5, models, new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>>());
    }

    private static double[] Doubles(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static JsonElement Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir!.FullName, "tests", "fixtures", "meta_eval", "model_filter.json")));
        return doc.RootElement.Clone();
    }
}
