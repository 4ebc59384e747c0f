using System.Text.Json.Nodes;
using DslUnlearn.Attacks;
using DslUnlearn.Calibration;

namespace DslUnlearn.Tests.Engine;

/// <summary>attack/&lt;model&gt;/&lt;attack&gt; and calibrate/&lt;model&gt; stages on the tiny engine spec: results, caching, change detection.</summary>
[Collection(EngineCollection.Name)]
public class AttackCalibrationStageTests(TinyReference reference)
{
    private static readonly RunOptions Options = EngineScenarios.Options;

    /// <summary>The engine's tiny spec plus a 4-bit quantization, an identity noising (fraction 0) and model mixing with a 3-point curve.</summary>
    private static ExperimentSpec Attacked(string root, int bits = 4)
    {
        var tiny = EngineScenarios.Get("tiny", root);
        return tiny with
        {
            Attacks =
            [
                new AttackSpec { Name = "q", Chain = [new AttackStep { Name = "quantize", Attack = new QuantizeAttack(new QuantizeOptions { Bits = bits }) }] },
                new AttackSpec { Name = "noise0", Chain = [new AttackStep { Name = "token_noise", Attack = new TokenNoiseAttack(new TokenNoiseOptions { Fraction = 0 }) }] },
            ],
            Calibration = new CalibrationSpec { Name = "model_mixing", Calibrator = new ModelMixingCalibrator(new ModelMixingOptions { Fraction = 0.9, CurvePoints = 3 }) },
        };
    }

    private static readonly string[] NewStages =
    [
        "attack/target/q", "attack/target/noise0", "attack/ga/q", "attack/ga/noise0", "attack/gd/q", "attack/gd/noise0",
        "calibrate/ga", "calibrate/gd", "report",
    ];

    [Fact]
    public void Attacks_and_calibration_run_as_stages_reach_results_json_and_are_cached_and_rerun_only_where_changed()
    {
        using var dir = new TempDir();
        IncrementalBuildTests.CopyDirectory(reference.Root, dir.Path);

        var run = StagedExperimentRunner.Run(Attacked(dir.Path), Options);
        Assert.Equal(NewStages, run.Executed); // init, fine-tuning, unlearning and evaluation come from the store
        var json = JsonNode.Parse(File.ReadAllText(run.Result.ResultsJsonPath))!;
        var plain = JsonNode.Parse(reference.ResultsJson)!;
        foreach (var section in new[] { "models", "unlearning_curves", "examples" })
            Assert.Equal(plain[section]!.ToJsonString(), json[section]!.ToJsonString());

        // Attacked evaluations: every model under every attack, kind "attacked", every metric and split.
        var attacks = json["attacks"]!.AsObject();
        Assert.Equal(["q", "noise0"], attacks.Select(kv => kv.Key));
        Assert.Equal("quantize", attacks["q"]!["chain"]![0]!.GetValue<string>());
        foreach (var (_, attack) in attacks)
        {
            var models = attack!["models"]!.AsObject();
            Assert.Equal(["target", "ga", "gd"], models.Select(kv => kv.Key));
            Assert.All(models, m => Assert.Equal("attacked", m.Value!["kind"]!.GetValue<string>()));
            Assert.Equal("ga", models["ga"]!["method"]!.GetValue<string>());
        }
        // Noising zero words changes no input: every value equals the unattacked one, bit for bit.
        foreach (var model in new[] { "target", "ga", "gd" })
            foreach (var metric in new[] { "es_exact", "em" })
                Assert.Equal(plain["models"]![model]![metric]!.ToJsonString(), attacks["noise0"]!["models"]![model]![metric]!.ToJsonString());
        // 4-bit weights change the model: some value moves, each stays a valid ES/EM.
        var q = attacks["q"]!["models"]!.AsObject();
        Assert.Contains(q, m => m.Value!["em"]!["forget"]!["agg_value"]!.GetValue<double>() != plain["models"]![m.Key]!["em"]!["forget"]!["agg_value"]!.GetValue<double>()
                                  || m.Value!["es_exact"]!["forget"]!["agg_value"]!.GetValue<double>() != plain["models"]![m.Key]!["es_exact"]!["forget"]!["agg_value"]!.GetValue<double>());

        // Calibration: the reference retain value is the target's ES exact on retain; the curve's ends are the target and the unlearned model.
        var calibration = json["calibration"]!.AsObject();
        Assert.Equal(["ga", "gd"], calibration.Select(kv => kv.Key));
        double targetRetain = plain["models"]!["target"]!["es_exact"]!["retain"]!["agg_value"]!.GetValue<double>();
        double targetForget = plain["models"]!["target"]!["es_exact"]!["forget"]!["agg_value"]!.GetValue<double>();
        foreach (var (name, c) in calibration)
        {
            double alpha = c!["alpha"]!.GetValue<double>(), retain = c["retain_value"]!.GetValue<double>();
            Assert.Equal("model_mixing", c["calibrator"]!.GetValue<string>());
            Assert.Equal(targetRetain, c["reference_retain_value"]!.GetValue<double>());
            Assert.InRange(alpha, 0, 1);
            Assert.True(retain >= 0.9 * targetRetain, $"{name}: retain {retain} below 0.9 x {targetRetain}");
            Assert.InRange(c["evaluations"]!.GetValue<int>(), 1, 8);
            Assert.Equal(["es_exact", "es_perturb"], c["forget"]!.AsObject().Select(kv => kv.Key));
            var curve = c["curve"]!.AsArray();
            Assert.Equal([0.0, 0.5, 1.0], curve.Select(p => p!["alpha"]!.GetValue<double>()));
            Assert.Equal(targetRetain, curve[0]!["retain"]!.GetValue<double>());
            Assert.Equal(targetForget, curve[0]!["forget"]!["es_exact"]!.GetValue<double>());
            Assert.Equal(plain["models"]![name]!["es_exact"]!["retain"]!["agg_value"]!.GetValue<double>(), curve[2]!["retain"]!.GetValue<double>());
            Assert.Equal(plain["models"]![name]!["es_exact"]!["forget"]!["agg_value"]!.GetValue<double>(), curve[2]!["forget"]!["es_exact"]!.GetValue<double>());
            if (alpha == 1) Assert.Equal(curve[2]!["forget"]!["es_exact"]!.GetValue<double>(), c["forget"]!["es_exact"]!["agg_value"]!.GetValue<double>());
        }

        // Tables: calibrated columns in the summary, the attack and robustness tables beside it.
        string tables = Path.Combine(run.Result.OutputDirectory, "tables");
        Assert.Contains("ES exact forget (cal.)", File.ReadAllText(Path.Combine(tables, "summary.md")));
        Assert.Contains("| ga | noise0 |", File.ReadAllText(Path.Combine(tables, "attacks.md")));
        var robustness = File.ReadAllLines(Path.Combine(tables, "robustness.csv"));
        Assert.Equal(1 + 2 * 2 * 2, robustness.Length); // header + (attacks x metrics x splits)
        Assert.Contains(robustness, l => l.StartsWith("noise0,es_exact,forget,3,", StringComparison.Ordinal));

        // Nothing changed: nothing runs and the bytes are the same.
        byte[] bytes = File.ReadAllBytes(run.Result.ResultsJsonPath);
        var again = StagedExperimentRunner.Run(Attacked(dir.Path), Options);
        Assert.Empty(again.Executed);
        Assert.Equal(bytes, File.ReadAllBytes(again.Result.ResultsJsonPath));

        // One attack option changed: only that attack's stages and the report run.
        var changed = Attacked(dir.Path, bits: 3);
        var plan = StagedExperimentRunner.Plan(changed, Options);
        Assert.Equal(["attack/target/q", "attack/ga/q", "attack/gd/q", "report"], plan.Where(p => p.WillRun).Select(p => p.Id));
        Assert.Equal("changed (options)", plan.Single(p => p.Id == "attack/ga/q").Reason);
        var rerun = StagedExperimentRunner.Run(changed, Options);
        Assert.Equal(["attack/target/q", "attack/ga/q", "attack/gd/q", "report"], rerun.Executed);
        var after = JsonNode.Parse(File.ReadAllText(rerun.Result.ResultsJsonPath))!;
        Assert.Equal(json["calibration"]!.ToJsonString(), after["calibration"]!.ToJsonString());
        Assert.Equal(json["attacks"]!["noise0"]!.ToJsonString(), after["attacks"]!["noise0"]!.ToJsonString());
    }
}
