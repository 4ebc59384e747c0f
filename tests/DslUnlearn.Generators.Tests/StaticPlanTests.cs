namespace DslUnlearn.Generators.Tests;

/// <summary>
/// The emitted static plan: a YAML change moves the static key of exactly the stages it re-runs (the changed stage
/// and everything downstream of it), and nothing else. The plan's agreement with the runtime's dry run is held by
/// tests/DslUnlearn.Tests/Pipeline/StaticPlanTests.cs.
/// </summary>
public sealed class StaticPlanTests
{
    private static readonly string Quickstart = File.ReadAllText(Path.Combine(RepoPaths.Experiments, "quickstart.yaml"));

    private static Dictionary<string, string> StaticKeys(string yaml)
    {
        var path = Path.Combine(RepoPaths.Experiments, "quickstart.yaml");
        var context = new SpecContext(RepoPaths.Experiments, null, p => File.Exists(p) ? File.ReadAllText(p) : null);
        var compiled = GeneratorHarness.Compile(path, yaml, "quickstart.yaml", context);
        Assert.Empty(compiled.Diagnostics.Select(d => d.ToString()));
        return PlanEmitter.Build(compiled.Model!.Spec, compiled.Model.KeyNeutral).Stages.ToDictionary(s => s.Stage.Id, s => s.StaticKey);
    }

    private static string[] Moved(string from, string to)
    {
        Assert.Contains(from, Quickstart);
        var before = StaticKeys(Quickstart);
        var after = StaticKeys(Quickstart.Replace(from, to));
        Assert.Equal(before.Keys, after.Keys);
        return before.Keys.Where(id => before[id] != after[id]).ToArray();
    }

    [Fact]
    public void A_method_option_moves_its_unlearn_stage_its_evaluation_and_the_report()
        => Assert.Equal(["unlearn/gd", "evaluate/gd", "report"], Moved("    retain_weight: 1.0", "    retain_weight: 2.0"));

    [Fact]
    public void A_fine_tuning_option_moves_everything_downstream_of_the_target_but_not_the_init_or_its_evaluation()
        => Assert.Equal(["finetune/target", "evaluate/target", "unlearn/ga", "evaluate/ga", "unlearn/gd", "evaluate/gd", "report"],
            Moved("  lr: 3.0e-3", "  lr: 1.0e-3"));

    [Fact]
    public void A_metric_moves_every_evaluation_and_the_report_only()
        => Assert.Equal(["evaluate/untrained", "evaluate/target", "evaluate/ga", "evaluate/gd", "report"],
            Moved("  - metric: em\n    splits: [forget, retain]", "  - metric: em\n    splits: [forget]"));

    [Fact]
    public void The_description_moves_only_the_report()
        => Assert.Equal(["report"], Moved("description: Tiny Llama", "description: A tiny Llama"));

    [Fact]
    public void The_plan_has_the_shape_of_the_runtime_graph_for_an_oracle_with_attacks_and_calibration()
    {
        var shape = StageShape.Of(new StageShapeInput(testbed: false, oracle: true, unlearn: ["ga"], attacks: ["relearn"], calibration: true));
        Assert.Equal(
            [
                "init/model", "finetune/target", "finetune/oracle", "evaluate/untrained", "evaluate/target", "evaluate/oracle", "unlearn/ga", "evaluate/ga",
                "attack/target/relearn", "attack/oracle/relearn", "attack/ga/relearn", "calibrate/ga", "report",
            ],
            shape.Select(s => s.Id));
        Assert.Equal(["unlearn/ga", "finetune/oracle"], shape.Single(s => s.Id == "attack/ga/relearn").Inputs);
        Assert.Equal(["finetune/oracle"], shape.Single(s => s.Id == "attack/oracle/relearn").Inputs);
        Assert.Equal(["finetune/target", "unlearn/ga", "finetune/oracle"], shape.Single(s => s.Id == "calibrate/ga").Inputs);
    }
}
