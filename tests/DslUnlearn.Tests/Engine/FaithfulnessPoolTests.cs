using System.Globalization;
using DslUnlearn.Experiments;

namespace DslUnlearn.Tests.Engine;

/// <summary>
/// meta_eval.faithfulness on experiments/tests/tiny-faithfulness.yaml: the pools are stages of the engine keyed as the spec
/// with that seed builds them, and tables/meta_eval gives a knowledge metric a high AUC over targets against oracles.
/// </summary>
[Collection(EngineCollection.Name)]
public class FaithfulnessPoolTests
{
    /// <summary>The catalog's <paramref name="experiment"/>, writing under <paramref name="root"/>.</summary>
    private static ExperimentSpec Spec(string experiment, string root)
    {
        var spec = ExperimentCatalog.Find(experiment)!.Spec;
        return spec with { Report = spec.Report with { Out = root } };
    }

    /// <summary>The spec's stages with default run options, by id.</summary>
    private static Dictionary<string, StagePlan> Plan(ExperimentSpec spec)
        => StagedExperimentRunner.Plan(spec, new RunOptions()).ToDictionary(s => s.Id);

    [Fact]
    public void Pools_share_keys_with_the_spec_of_that_seed_and_es_tells_targets_from_oracles()
    {
        using var dir = new TempDir();
        var spec = Spec("tiny-faithfulness", dir.Path);
        var plan = Plan(spec);

        // Seed 7 is the spec's: its target is reused, its oracle (the spec has none) is a pool stage; seeds 8 and 9 train the whole chain.
        Assert.DoesNotContain("finetune/target@seed7", plan.Keys);
        Assert.DoesNotContain("init/model@seed7", plan.Keys);
        Assert.Contains("finetune/oracle@seed7", plan.Keys);
        Assert.DoesNotContain("finetune/oracle", plan.Keys);
        foreach (var s in new[] { 8, 9 })
            Assert.All(new[] { "init/model", "finetune/target", "finetune/oracle", "evaluate/target", "evaluate/oracle" }, id => Assert.Contains($"{id}@seed{s}", plan.Keys));

        // A pool member's key is the key of the same stage of the spec with that seed (and an oracle): one artifact for both.
        var seed8 = Plan(spec with { Seed = 8, MetaEval = null, Finetune = spec.Finetune with { Oracle = true } });
        Assert.Equal(seed8["init/model"].Key, plan["init/model@seed8"].Key);
        Assert.Equal(seed8["finetune/target"].Key, plan["finetune/target@seed8"].Key);
        Assert.Equal(seed8["finetune/oracle"].Key, plan["finetune/oracle@seed8"].Key);
        var own = Plan(spec with { MetaEval = null, Finetune = spec.Finetune with { Oracle = true } });
        Assert.Equal(own["finetune/oracle"].Key, plan["finetune/oracle@seed7"].Key);
        Assert.Equal(own["finetune/target"].Key, plan["finetune/target"].Key);
        Assert.NotEqual(plan["finetune/target@seed8"].Key, plan["finetune/target@seed9"].Key);

        var run = StagedExperimentRunner.Run(spec, new RunOptions());
        Assert.Contains("finetune/oracle@seed9", run.Executed);
        string outDir = Path.GetDirectoryName(run.Result.ResultsJsonPath)!;
        var csv = File.ReadAllLines(Path.Combine(outDir, "tables", "meta_eval.csv"));
        double Score(string metric, string score) => double.Parse(csv.Single(l => l.StartsWith($"{metric},forget,{score},,", StringComparison.Ordinal)).Split(',')[4], CultureInfo.InvariantCulture);
        // The targets memorised the forget answers, the oracles never saw them: ES (and NLL, flipped) separate the pools.
        Assert.True(Score("es_exact", "F") >= 0.9, $"es_exact faithfulness {Score("es_exact", "F")}\n" + File.ReadAllText(Path.Combine(outDir, "tables", "meta_eval.md")));
        Assert.True(Score("nll", "F") >= 0.9, $"nll faithfulness {Score("nll", "F")}");
        Assert.Equal(Score("es_exact", "F"), Score("es_exact", "overall")); // no quantize or relearn pipeline: overall is F
        Assert.Equal(6, int.Parse(csv.Single(l => l.StartsWith("es_exact,forget,F,", StringComparison.Ordinal)).Split(',')[5], CultureInfo.InvariantCulture));
        Assert.DoesNotContain(csv, l => l.StartsWith("es_exact,retain,F,", StringComparison.Ordinal));
        var md = File.ReadAllText(Path.Combine(outDir, "tables", "meta_eval.md"));
        Assert.Contains("seeds 7, 8, 9", md);
    }

    [Fact]
    public void A_size_pool_member_shares_its_artifacts_with_the_spec_whose_model_has_that_size()
    {
        using var dir = new TempDir();
        var spec = Spec("tiny-faithfulness-sizes", dir.Path);
        var plan = Plan(spec);

        // Seed 7 at the spec's size is the spec's own target (and a pool oracle); hidden 32 x intermediate 64 trains its own chain.
        Assert.All(new[] { "init/model", "finetune/target", "finetune/oracle", "evaluate/target", "evaluate/oracle" }, id => Assert.Contains($"{id}@seed7-h32-i64", plan.Keys));
        Assert.Contains("finetune/oracle@seed7", plan.Keys);
        Assert.DoesNotContain("finetune/target@seed7", plan.Keys);

        var narrow = spec with
        {
            Model = spec.Model with { HiddenSize = 32, IntermediateSize = 64 }, MetaEval = null, Finetune = spec.Finetune with { Oracle = true },
        };
        var other = Plan(narrow);
        Assert.Equal(other["init/model"].Key, plan["init/model@seed7-h32-i64"].Key);
        Assert.Equal(other["finetune/target"].Key, plan["finetune/target@seed7-h32-i64"].Key);
        Assert.Equal(other["finetune/oracle"].Key, plan["finetune/oracle@seed7-h32-i64"].Key);
        Assert.NotEqual(plan["init/model"].Key, plan["init/model@seed7-h32-i64"].Key); // the init key carries the size's config

        var run = StagedExperimentRunner.Run(spec, new RunOptions());
        Assert.Contains("finetune/target@seed7-h32-i64", run.Executed);
        // the spec whose model: has the narrow size finds its target (and init, oracle) already in the store
        var reuse = Plan(narrow with { Report = narrow.Report with { Out = dir.Path } });
        Assert.All(new[] { "init/model", "finetune/target", "finetune/oracle" }, id => Assert.False(reuse[id].WillRun, id));
        string outDir = Path.GetDirectoryName(run.Result.ResultsJsonPath)!;
        var csv = File.ReadAllLines(Path.Combine(outDir, "tables", "meta_eval.csv"));
        Assert.Equal(4, int.Parse(csv.Single(l => l.StartsWith("es_exact,forget,F,", StringComparison.Ordinal)).Split(',')[5], CultureInfo.InvariantCulture));
        Assert.Contains("at model sizes the spec's, h32-i64", File.ReadAllText(Path.Combine(outDir, "tables", "meta_eval.md")));
    }

    [Fact]
    public void A_size_that_is_the_specs_own_or_sets_nothing_is_refused_with_the_fix()
    {
        using var dir = new TempDir();
        var spec = Spec("tiny-faithfulness-sizes", dir.Path);
        ExperimentSpec WithSizes(params PoolSizeSpec[] sizes) => spec with { MetaEval = spec.MetaEval! with { Faithfulness = spec.MetaEval.Faithfulness! with { Sizes = [.. sizes] } } };
        var own = Assert.Throws<InvalidOperationException>(() => StagedExperimentRunner.Plan(WithSizes(new PoolSizeSpec { HiddenSize = spec.Model.HiddenSize }), new RunOptions()));
        Assert.Contains("meta_eval.faithfulness.sizes[0] (h64) is the same model as the spec's own model:", own.Message);
        var none = Assert.Throws<InvalidOperationException>(() => StagedExperimentRunner.Plan(WithSizes(new PoolSizeSpec()), new RunOptions()));
        Assert.Contains("sets none of hidden_size, layers and intermediate_size", none.Message);
        var twice = Assert.Throws<InvalidOperationException>(() => StagedExperimentRunner.Plan(WithSizes(new PoolSizeSpec { HiddenSize = 32 }, new PoolSizeSpec { HiddenSize = 32, Layers = spec.Model.Layers }), new RunOptions()));
        Assert.Contains("sizes[1] (h32-l1) is the same model as sizes item h32", twice.Message);
        var heads = Assert.Throws<InvalidOperationException>(() => StagedExperimentRunner.Plan(WithSizes(new PoolSizeSpec { HiddenSize = 36 }), new RunOptions()));
        Assert.Contains("meta_eval.faithfulness.sizes[0] (h36)", heads.Message);
    }
}
