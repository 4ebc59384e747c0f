using DslUnlearn.Methods;

namespace DslUnlearn.Tests.Torch;

/// <summary>model.dtype and gradient_checkpointing in stage keys (the float32 keys are pinned by ExperimentCellsTests).</summary>
public class PrecisionKeysTests
{
    private static Dictionary<string, string> Keys(ExperimentSpec spec) =>
        StagedExperimentRunner.Plan(spec, new RunOptions()).ToDictionary(s => s.Id, s => s.Key);

    [Fact]
    public void A_16_bit_dtype_moves_every_stage_key_and_checkpointing_moves_none_but_the_report()
    {
        using var dir = new TempDir();
        var plain = TestSpecs.Tiny(dir.Path, epochs: 3);
        var baseline = Keys(plain);
        var bf16 = Keys(plain with { Model = plain.Model with { Dtype = ModelDtype.Bfloat16 } });
        var fp16 = Keys(plain with { Model = plain.Model with { Dtype = ModelDtype.Float16 } });
        Assert.All(baseline.Keys, id => Assert.NotEqual(baseline[id], bf16[id]));
        Assert.All(baseline.Keys, id => Assert.NotEqual(bf16[id], fp16[id]));

        var ga = (GradientAscent)plain.Unlearn[0].Method;
        var checkpointed = plain with
        {
            Finetune = plain.Finetune with { GradientCheckpointing = true },
            Unlearn = [plain.Unlearn[0] with { Method = new GradientAscent((GaOptions)ga.Options with { GradientCheckpointing = true }) }, plain.Unlearn[1]],
        };
        var ck = Keys(checkpointed);
        Assert.All(baseline.Keys.Where(id => id != "report"), id => Assert.Equal(baseline[id], ck[id]));
        Assert.NotEqual(baseline["report"], ck["report"]); // the resolved spec (results.json's provenance) records it
    }

    [Fact]
    public void A_bfloat16_spec_runs_every_stage_and_reuses_them()
    {
        using var dir = new TempDir();
        var plain = TestSpecs.Tiny(dir.Path, epochs: 2);
        var spec = plain with
        {
            Model = plain.Model with { Dtype = ModelDtype.Bfloat16 },
            Unlearn = [.. plain.Unlearn, new UnlearnSpec { Name = "npo", MethodName = "npo", Method = new Npo(new NpoOptions { Lr = 1e-3, Steps = 2, BatchSize = 4 }) }],
        };
        var run = StagedExperimentRunner.Run(spec, new RunOptions());
        Assert.Contains("unlearn/npo", run.Executed);
        var results = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(run.Result.ResultsJsonPath))!;
        Assert.True(results["finetune_final_loss"]!.GetValue<double>() is > 0 and < 10);
        var again = StagedExperimentRunner.Run(spec, new RunOptions());
        Assert.Empty(again.Executed.Where(id => id != "report"));
    }
}
