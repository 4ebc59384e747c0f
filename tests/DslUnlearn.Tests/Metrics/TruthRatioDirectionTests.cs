using DslUnlearn.Calibration;
using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Metrics;

/// <summary>
/// truth_ratio's direction follows its effective aggregation: closer_to_1 (mean min(R, 1/R), the default on forget) is lower
/// for more knowledge (a model that knows has R far below 1, one that never saw the data R near 1); true_better (mean
/// max(0, 1 - R)) is higher. The meta-evaluation's faithfulness, Q and knowledge filter read it from the spec's metric
/// instance. All expected values by hand in the comments.
/// </summary>
public class TruthRatioDirectionTests
{
    private static TruthRatioMetric Tr(string aggregation = "auto") => new(new TruthRatioOptions { Aggregation = aggregation });

    [Fact]
    public void The_direction_is_the_instances_on_the_split()
    {
        Assert.True(MetricDirection.LowerIsBetter(Tr(), "forget"));
        Assert.False(MetricDirection.LowerIsBetter(Tr(), "retain"));
        Assert.False(MetricDirection.LowerIsBetter(Tr("true_better"), "forget"));
        Assert.True(MetricDirection.LowerIsBetter(Tr("closer_to_1"), "retain"));
        Assert.True(MetricDirection.LowerIsBetter(new NllMetric(new AnswerOptions()), "retain"));
        Assert.False(MetricDirection.LowerIsBetter(new EsExactMetric(new NoOptions()), "forget"));
        Assert.True(MetricDirection.LowerIsBetter(new ForgetQualityMetric(new NoOptions()), "forget"));
        Assert.False(MetricDirection.LowerIsBetter(new ForgetQualityMetric(new NoOptions()), "retain"));
        var spec = Spec(Tr());
        Assert.True(SpecMetricDirection.LowerIsBetter(spec, "truth_ratio", "forget"));
        Assert.False(SpecMetricDirection.LowerIsBetter(spec, "truth_ratio", "retain"));
        Assert.False(SpecMetricDirection.LowerIsBetter(Spec(Tr("true_better")), "truth_ratio", "forget"));
    }

    /// <summary>The attribute's facts (what the generator refuses at build time) agree with the default instance (what the runner refuses).</summary>
    [Fact]
    public void The_attribute_facts_agree_with_the_default_instance()
    {
        var facts = DslUnlearn.Components.ComponentFacts.Metric("truth_ratio")!;
        Assert.True(facts.LowerIsBetterOnForget);
        Assert.False(facts.LowerIsBetter);
        foreach (var split in new[] { "forget", "retain" })
        {
            Assert.Equal(MetricDirection.LowerIsBetter(Tr(), split), MetricDirection.LowerIsBetter("truth_ratio", split));
            Assert.Equal(MetricDirection.LowerIsBetter(new NllMetric(new AnswerOptions()), split), MetricDirection.LowerIsBetter("nll", split));
            Assert.Equal(MetricDirection.LowerIsBetter(new ForgetQualityMetric(new NoOptions()), split), MetricDirection.LowerIsBetter("forget_quality", split));
            Assert.Equal(MetricDirection.LowerIsBetter(new EsExactMetric(new NoOptions()), split), MetricDirection.LowerIsBetter("es_exact", split));
        }
    }

    /// <summary>Calibration refuses a criterion that is lower-is-better on its split (as DSLU0022 does at build time): truth_ratio with
    /// default options on forget (closer_to_1); on retain (true_better) it plans.</summary>
    [Fact]
    public void Calibration_refuses_closer_to_1_truth_ratio_as_its_criterion_on_forget_only()
    {
        using var dir = new TempDir();
        var spec = TestSpecs.Tiny(dir.Path) with
        {
            Calibration = new CalibrationSpec
            {
                Name = "model_mixing", Calibrator = new ModelMixingCalibrator(new ModelMixingOptions { Fraction = 0.9, CurvePoints = 2 }),
                RetainMetric = new("truth_ratio", Tr()), RetainSplit = SplitKind.Forget,
            },
        };
        var e = Assert.Throws<InvalidOperationException>(() => StagedExperimentRunner.Plan(spec, new RunOptions()));
        Assert.Contains("retain_metric 'truth_ratio' is lower-is-better on forget", e.Message);
        Assert.NotEmpty(StagedExperimentRunner.Plan(spec with { Calibration = spec.Calibration! with { RetainSplit = SplitKind.Retain } }, new RunOptions()));
    }

    /// <summary>
    /// Targets have R = 0.1, 0.2, 0.3 (closer_to_1: 0.1, 0.2, 0.3), oracles R = 0.9, 1.2, 1.0 (0.9, 1/1.2, 1.0): every target is
    /// below every oracle, so with lower = more knowledge the AUC is 1 (the old reading, higher = more knowledge, gave 0).
    /// The same models under true_better on forget: targets 0.9, 0.8, 0.7, oracles 0.1, 0, 0: higher = more knowledge, AUC 1.
    /// </summary>
    [Fact]
    public void Faithfulness_of_closer_to_1_on_forget_counts_targets_below_oracles()
    {
        double[] targets = [0.1, 0.2, 0.3], oracles = [0.9, 1.2, 1.0];
        foreach (var aggregation in new[] { "auto", "true_better" })
        {
            var metric = Tr(aggregation);
            var pools = targets.Select((r, i) => new PoolValue("truth_ratio", "forget", i + 1, true, metric.Aggregate([r], "forget")))
                .Concat(oracles.Select((r, i) => new PoolValue("truth_ratio", "forget", i + 1, false, metric.Aggregate([r], "forget")))).ToList();
            var row = MetaEvalTables.Compute(Input(metric, [], pools)).Single(r => r.Metric == "truth_ratio");
            Assert.Equal(1.0, row.Faithfulness);
        }
    }

    /// <summary>
    /// closer_to_1 on forget, lower = more knowledge, so Q = min(m_after / m_before, 1) (Q on 1/m): u1 0.4 -> 0.2 (quantization
    /// moved it towards the target: knowledge back) Q = 0.5; u2 0.5 -> 0.6, Q = min(1.2, 1) = 1; mean 0.75. (The old reading
    /// gave (min(2, 1) + 0.5 / 0.6) / 2 = 0.9166...)
    /// </summary>
    [Fact]
    public void Q_of_closer_to_1_takes_the_reciprocal()
    {
        var points = new List<RobustnessPoint> { new("truth_ratio", "q4", "forget", "u1", 0.4, 0.2), new("truth_ratio", "q4", "forget", "u2", 0.5, 0.6) };
        var row = MetaEvalTables.Compute(Input(Tr(), points, [])).Single(r => r.Metric == "truth_ratio");
        Assert.Equal(0.75, row.Q, 12);
    }

    /// <summary>
    /// Pools: targets 0.1, 0.2, oracles 0.8, 0.9 (closer_to_1 on forget). Any threshold between 0.2 and 0.8 separates them; a model at
    /// 0.15 before the attack still looks like a target (left out of Q), one at 0.85 like an oracle (kept). The old reading had the
    /// sides the other way round.
    /// </summary>
    [Fact]
    public void The_knowledge_filter_drops_models_on_the_targets_side_of_a_closer_to_1_threshold()
    {
        var pools = new List<PoolValue>
        {
            new("truth_ratio", "forget", 1, true, 0.1), new("truth_ratio", "forget", 2, true, 0.2),
            new("truth_ratio", "forget", 1, false, 0.8), new("truth_ratio", "forget", 2, false, 0.9),
        };
        var input = Input(Tr(), [], pools, new MetaEvalSpec { Utility = new UtilityFilterSpec { Metric = "es_exact", Split = SplitKind.Retain, MinShare = 0 }, KnowledgeFilter = true });
        var filter = MetaEvalFilter.For(input);
        Assert.False(filter.Keeps(new RobustnessPoint("truth_ratio", "q4", "forget", "u1", 0.15, 0.1)));
        Assert.True(filter.Keeps(new RobustnessPoint("truth_ratio", "q4", "forget", "u2", 0.85, 0.5)));
    }

    private static ExperimentSpec Spec(IMetric truthRatio, MetaEvalSpec? metaEval = null) => TestSpecs.Tiny("unused") with
    {
        Name = "tr-direction",
        Metrics = [new MetricSpec { Name = "truth_ratio", Metric = truthRatio, Splits = TestSpecs.BothSplits }],
        MetaEval = metaEval,
    };

    private static ReportInput Input(IMetric truthRatio, IReadOnlyList<RobustnessPoint> points, IReadOnlyList<PoolValue> pools, MetaEvalSpec? metaEval = null)
    {
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        var run = new RunRecord(Spec(truthRatio, metaEval), data, 1000, 0.5, [], new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>>());
        return new ReportInput
        {
            Runs = [run], Robustness = points, FaithfulnessPools = pools, UnlearnedModels = ["u1", "u2"],
            AttackChains = new Dictionary<string, IReadOnlyList<string>> { ["q4"] = ["quantize"] },
        };
    }
}
