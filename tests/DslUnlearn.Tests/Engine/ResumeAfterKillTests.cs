namespace DslUnlearn.Tests.Engine;

/// <summary>
/// A child run is SIGKILLed at exact places (crash points) or from outside; the next run resumes from what
/// the store and the checkpoints hold, and the final results.json is byte-identical to an uninterrupted run.
/// </summary>
[Collection(EngineCollection.Name)]
public class ResumeAfterKillTests(TinyReference reference)
{
    public static TheoryData<string, string?> KillPoints => new()
    {
        // mid-epoch: 3 batches per epoch, checkpoints every 2 steps, so the last checkpoint (step 4) is mid-epoch 2
        { "step:finetune/target:5", "finetune/target" },
        // half of the first checkpoint written (model file done, optimizer and index not)
        { "checkpoint:finetune/target", null },
        // mid-write of an artifact file: half of the unlearned model on disk, no index, not renamed
        { "write:unlearn/gd:model.bin", null },
        // every file and the index written, killed before the rename
        { "commit:evaluate/ga", null },
        // mid-unlearning (checkpoint at step 2 of 4)
        { "step:unlearn/ga:3", "unlearn/ga" },
        // between two published report files
        { "publish", null },
    };

    [Theory]
    [MemberData(nameof(KillPoints))]
    public void Killed_run_resumes_to_byte_identical_results(string crashAt, string? resumedStage)
    {
        using var dir = new TempDir();
        var (exit, stdout, stderr) = EngineScenarios.RunChild("tiny", dir.Path, crashAt);
        Assert.True(exit == 137 || exit == -9 || exit != 0, $"the child should have died at {crashAt}; exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains($"[crash-point] {crashAt}: SIGKILL", stderr);

        var resumed = StagedExperimentRunner.Run(EngineScenarios.Get("tiny", dir.Path), EngineScenarios.Options);

        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(resumed.Result.ResultsJsonPath));
        if (resumedStage is not null)
        {
            var stage = resumed.Stages.Single(s => s.Id == resumedStage);
            Assert.Equal("resumed", stage.Status);
            Assert.True(stage.ResumedFromStep > 0, $"{resumedStage} should resume from a checkpoint");
        }
        AssertStoreClean(dir.Path, resumed);
    }

    [Fact]
    public void Two_kills_in_a_row_then_resume_still_give_identical_results()
    {
        using var dir = new TempDir();
        Assert.NotEqual(0, EngineScenarios.RunChild("tiny", dir.Path, "step:finetune/target:3").Exit);
        var second = EngineScenarios.RunChild("tiny", dir.Path, "step:finetune/target:9");
        Assert.NotEqual(0, second.Exit);
        Assert.Contains("resumed at step 2", second.Out); // the second child continued from the first one's checkpoint
        var resumed = StagedExperimentRunner.Run(EngineScenarios.Get("tiny", dir.Path), EngineScenarios.Options);
        Assert.Equal(8, resumed.Stages.Single(s => s.Id == "finetune/target").ResumedFromStep);
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(resumed.Result.ResultsJsonPath));
    }

    [Fact]
    public void A_child_killed_from_outside_with_SIGKILL_resumes()
    {
        using var dir = new TempDir();
        using (var child = EngineScenarios.StartChild("tiny", dir.Path))
        {
            // Kill once fine-tuning is under way (after its second epoch line), wherever the child is at that moment.
            string? line;
            while ((line = child.StandardOutput.ReadLine()) is not null)
                if (line.StartsWith("[finetune target] 2", StringComparison.Ordinal)) break;
            Assert.NotNull(line);
            child.Kill(); // SIGKILL
            child.WaitForExit();
        }
        var resumed = StagedExperimentRunner.Run(EngineScenarios.Get("tiny", dir.Path), EngineScenarios.Options);
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(resumed.Result.ResultsJsonPath));
        AssertStoreClean(dir.Path, resumed);
    }

    internal static void AssertStoreClean(string root, StagedRunResult run)
    {
        var store = ArtifactStore.ForOutputRoot(root);
        foreach (var s in run.Stages) Assert.Equal(ArtifactState.Complete, store.Check(s.Key, out _));
        string work = Path.Combine(store.Root, "work");
        Assert.True(!Directory.Exists(work) || !Directory.EnumerateFileSystemEntries(work).Any(), "no checkpoints are left once every stage is stored");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "engine-tiny"), "*.tmp", SearchOption.AllDirectories));
    }
}
