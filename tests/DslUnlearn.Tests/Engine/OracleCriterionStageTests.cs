using System.Text.Json.Nodes;
using DslUnlearn.Attacks;
using DslUnlearn.Calibration;

namespace DslUnlearn.Tests.Engine;

/// <summary>finetune.oracle (stage finetune/oracle, row "oracle", attacked, R in tables/meta_eval) and a calibration criterion named in the spec.</summary>
[Collection(EngineCollection.Name)]
public class OracleCriterionStageTests(TinyReference reference)
{
    private static readonly RunOptions Options = EngineScenarios.Options;

    private static ExperimentSpec Spec(string root, bool oracle, CalibrationMetric criterion)
    {
        var tiny = EngineScenarios.Get("tiny", root);
        return tiny with
        {
            Finetune = tiny.Finetune with { Oracle = oracle },
            Attacks =
            [
                new AttackSpec { Name = "q", Chain = [new AttackStep { Name = "quantize", Attack = new QuantizeAttack(new QuantizeOptions { Bits = 4 }) }] },
                new AttackSpec { Name = "rl", Chain = [new AttackStep { Name = "relearn", Attack = new RelearnAttack(new RelearnOptions { Lr = 1e-3, Steps = 2, BatchSize = 4 }) }] },
            ],
            Calibration = new CalibrationSpec
            {
                Name = "model_mixing", Calibrator = new ModelMixingCalibrator(new ModelMixingOptions { Fraction = 0.95, CurvePoints = 3 }),
                RetainMetric = criterion, ForgetMetrics = [new("em", new ExactMemorizationMetric(new NoOptions()))],
            },
        };
    }

    private static readonly CalibrationMetric Em = new("em", new ExactMemorizationMetric(new NoOptions()));

    [Fact]
    public void Oracle_is_trained_on_retain_evaluated_attacked_and_calibration_bisects_the_named_criterion()
    {
        using var dir = new TempDir();
        IncrementalBuildTests.CopyDirectory(reference.Root, dir.Path);

        // Without the oracle: the target's fine-tuning, unlearning and evaluations come from the store (oracle is not part of their keys).
        var plain = StagedExperimentRunner.Plan(Spec(dir.Path, oracle: false, Em), Options);
        Assert.DoesNotContain(plain, s => s.Id == StagedExperimentRunner.OracleStage);
        Assert.All(plain.Where(s => s.Id is "finetune/target" or "evaluate/target" or "unlearn/ga"), s => Assert.False(s.WillRun, s.Id));

        var run = StagedExperimentRunner.Run(Spec(dir.Path, oracle: true, Em), Options);
        Assert.Contains(StagedExperimentRunner.OracleStage, run.Executed);
        Assert.Contains("evaluate/oracle", run.Executed);
        Assert.DoesNotContain("finetune/target", run.Executed);
        var json = JsonNode.Parse(File.ReadAllText(run.Result.ResultsJsonPath))!;
        var models = json["models"]!.AsObject();
        Assert.Equal(["untrained", "target", "oracle", "ga", "gd"], models.Select(kv => kv.Key));
        Assert.Equal("oracle", models["oracle"]!["kind"]!.GetValue<string>());
        // The oracle never saw the forget set: it knows the retain answers better than the forget ones.
        double Agg(string model, string metric, string split) => models[model]![metric]![split]!["agg_value"]!.GetValue<double>();
        Assert.True(Agg("oracle", "em", "retain") > Agg("oracle", "em", "forget"), "oracle: EM retain should exceed EM forget");
        Assert.True(Agg("oracle", "em", "forget") < Agg("target", "em", "forget"), "oracle: EM forget should be below the target's");
        Assert.Equal(["target", "oracle", "ga", "gd"], json["attacks"]!["rl"]!["models"]!.AsObject().Select(kv => kv.Key));

        // The bisection measured EM on retain: the reference value is the target's EM (not its ES), and the curve's
        // alpha = 1 point is the unlearned model's EM on retain, bit for bit.
        Assert.NotEqual(Agg("target", "em", "retain"), Agg("target", "es_exact", "retain"));
        foreach (var (name, c) in json["calibration"]!.AsObject())
        {
            Assert.Equal(Agg("target", "em", "retain"), c!["reference_retain_value"]!.GetValue<double>());
            Assert.Equal(Agg(name, "em", "retain"), c["curve"]!.AsArray()[2]!["retain"]!.GetValue<double>());
            Assert.True(c["retain_value"]!.GetValue<double>() >= 0.95 * Agg("target", "em", "retain"));
            Assert.Equal(["em"], c["forget"]!.AsObject().Select(kv => kv.Key));
        }

        // R and Q in tables/meta_eval.md, with the oracle as the retain model; the oracle is no point of the fits.
        string tables = Path.Combine(run.Result.OutputDirectory, "tables");
        string meta = File.ReadAllText(Path.Combine(tables, "meta_eval.md"));
        Assert.Contains("| metric | split | Q q | R rl | Q | R | HM |", meta);
        Assert.Contains("with the oracle (retain-only) model as the retain model", meta);
        Assert.Contains(File.ReadAllLines(Path.Combine(tables, "robustness.csv")), l => l.StartsWith("q,es_exact,forget,3,", StringComparison.Ordinal));

        // Another criterion changes only the calibration stages (and the report).
        var changed = StagedExperimentRunner.Plan(Spec(dir.Path, oracle: true, new CalibrationMetric("es_exact", new EsExactMetric(new NoOptions()))), Options);
        Assert.Equal(["calibrate/ga", "calibrate/gd", "report"], changed.Where(p => p.WillRun).Select(p => p.Id));
    }
}
