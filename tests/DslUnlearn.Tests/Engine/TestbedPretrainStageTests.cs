using DslUnlearn.Data.Testbed;
using DslUnlearn.Tests.Data.Testbed;
using DslUnlearn.Text;

namespace DslUnlearn.Tests.Engine;

/// <summary>The biographies testbed in the artifact engine: pretraining stages, their inputs and shareable keys.</summary>
public class TestbedPretrainStageTests
{
    private static ExperimentSpec Spec(string root, bool oracle = true) => TestSpecs.Tiny(root, epochs: 1) with
    {
        Name = "tiny-testbed",
        Data = new DataSpec { Source = DataSource.Biographies, Authors = 5, QaPerAuthor = 5, ForgetAuthors = 1 },
        Testbed = BiographyWorldTests.Spec(attributes: 3, bios: 1, holdout: 1) with
        {
            Pretrain = new FinetuneSpec { Epochs = 1, Lr = 1e-3, BatchSize = 8, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 1 },
        },
        Model = TestSpecs.Tiny(root).Model with { HiddenSize = 32, IntermediateSize = 64, MaxSeqLen = 160 },
        Finetune = TestSpecs.Tiny(root).Finetune with { Epochs = 1, Oracle = oracle },
    };

    [Fact]
    public void Target_and_oracle_fine_tunes_start_from_their_own_pretrained_base()
    {
        using var dir = new TempDir();
        var plan = StagedExperimentRunner.Plan(Spec(dir.Path), new RunOptions { OutputRoot = dir.Path }).Select(s => s.Id).ToList();
        Assert.Contains("pretrain/target", plan);
        Assert.Contains("pretrain/oracle", plan);
        Assert.True(plan.IndexOf("pretrain/target") < plan.IndexOf("finetune/target"));
        var noOracle = StagedExperimentRunner.Plan(Spec(dir.Path, oracle: false), new RunOptions { OutputRoot = dir.Path }).Select(s => s.Id).ToList();
        Assert.DoesNotContain("pretrain/oracle", noOracle);
    }

    [Fact]
    public void The_pretrained_base_is_shared_by_specs_that_differ_after_pretraining()
    {
        using var dir = new TempDir();
        var o = new RunOptions { OutputRoot = dir.Path };
        var a = StagedExperimentRunner.Plan(Spec(dir.Path), o).ToDictionary(s => s.Id, s => s.Key);
        var other = Spec(dir.Path) with { Name = "other", Finetune = Spec(dir.Path).Finetune with { Lr = 1e-2 }, Unlearn = [Spec(dir.Path).Unlearn[0]] };
        var b = StagedExperimentRunner.Plan(other, o).ToDictionary(s => s.Id, s => s.Key);
        Assert.Equal(a["pretrain/target"], b["pretrain/target"]);
        Assert.Equal(a["pretrain/oracle"], b["pretrain/oracle"]);
        Assert.NotEqual(a["finetune/target"], b["finetune/target"]);
        var moreBios = Spec(dir.Path) with { Testbed = Spec(dir.Path).Testbed! with { BiographiesPerAuthor = 2 } };
        var c = StagedExperimentRunner.Plan(moreBios, o).ToDictionary(s => s.Id, s => s.Key);
        Assert.NotEqual(a["pretrain/target"], c["pretrain/target"]);
        Assert.NotEqual(a["finetune/target"], c["finetune/target"]);
    }

    [Fact]
    public void A_testbed_run_trains_every_stage_then_is_all_cached()
    {
        using var dir = new TempDir();
        var spec = Spec(dir.Path);
        var first = StagedExperimentRunner.Run(spec, new RunOptions { OutputRoot = dir.Path });
        Assert.Contains("pretrain/target", first.Executed);
        Assert.Contains("pretrain/oracle", first.Executed);
        Assert.Equal(4 * 3, first.Result.Run.Data.FinetuneRetain.Count()); // one QA pair per attribute
        Assert.Equal(3, first.Result.Run.Data.Forget.Count);
        var again = StagedExperimentRunner.Run(spec, new RunOptions { OutputRoot = dir.Path });
        Assert.Empty(again.Executed);
        var inputs = TestbedInputs.For(spec);
        Assert.IsType<CorpusBpeTokenizer>(inputs.Tokenizer);
    }
}
