using DslUnlearn.Engine.Slurm;
using DslUnlearn.Engine.Workers;
using DslUnlearn.Experiments;

namespace DslUnlearn.Tests.ScaleOut;

/// <summary>
/// `dslunlearn submit tiny-cells --slurm --wait` against a real one-node Slurm (see <see cref="SlurmCluster"/>): the
/// array's cells and the aggregate are the bytes of a local `run`, a failed task is reported with its log, and a
/// re-submit computes exactly the stages that are missing.
/// </summary>
[Collection(SlurmCollection.Name)]
public class SlurmSubmitTests(SlurmCluster cluster, TinyCellsReference reference)
{
    private static readonly string[] Tasks = ["--cpus-per-task", "1"];

    [SkippableFact]
    public void Submit_wait_gives_the_bytes_of_a_local_run_and_records_the_slurm_ids()
    {
        cluster.Require();
        using var dir = new TempDir();
        var (exit, output) = ScaleOutCli.Run(["submit", "tiny-cells", "--slurm", "--wait", "--out", dir.Path, .. Tasks]);
        Assert.True(exit == 0, output);
        Assert.Contains("All 3 task(s) and the aggregation succeeded", output);
        string experimentDir = Path.Combine(dir.Path, "tiny-cells");
        ScaleOutCli.AssertSameResults(reference.ExperimentDir, experimentDir);

        var submit = SubmitRecord.TryLoad(Path.Combine(experimentDir, "slurm"))!;
        Assert.Contains($"job array {submit.ArrayJobId}", output);
        // Each stage records the array task that built it; the cell manifests were last written by the aggregation job.
        var cell3 = Cells()[2];
        var g = StagedExperimentRunner.Graph(cell3, new RunOptions { OutputRoot = dir.Path });
        var built = StageProvenance.Read(g.Store.DirectoryOf(g.Graph.ComputeKeys()["finetune/target"]))!;
        Assert.Equal(submit.ArrayJobId, built.BuiltBy.SlurmArrayJobId);
        Assert.Equal("2", built.BuiltBy.SlurmArrayTaskId);
        Assert.Equal("2/3", built.BuiltBy.Task);
        var manifest = RunManifest.TryLoad(Path.Combine(experimentDir, "cells", "seed=3", RunManifest.FileName))!;
        Assert.Equal(submit.AggregateJobId, manifest.Worker!.SlurmJobId);
        Assert.Equal(Environment.MachineName, manifest.Worker.Host);

        var (statusExit, status) = ScaleOutCli.Run("status", "tiny-cells", "--out", dir.Path);
        Assert.True(statusExit == 0, status);
        Assert.Contains("Stages: 27 done, 0 running, 0 failed, 0 missing.", status);
        Assert.Contains($"job array {submit.ArrayJobId} (3 task(s)), aggregation job {submit.AggregateJobId}", status);
    }

    [SkippableFact]
    public void A_failed_task_is_reported_with_its_log_and_a_resubmit_runs_only_the_missing_stages()
    {
        cluster.Require();
        using var dir = new TempDir();
        var cells = Cells();
        // Cell seed=2's fine-tuned model cannot be stored: a file sits where its object folder goes (as a broken disk would).
        var cell2 = StagedExperimentRunner.Graph(cells[1], new RunOptions { OutputRoot = dir.Path });
        string blocked = cell2.Store.DirectoryOf(cell2.Graph.ComputeKeys()["finetune/target"]);
        Directory.CreateDirectory(Path.GetDirectoryName(blocked)!);
        File.WriteAllText(blocked, "in the way");

        var (exit, output) = ScaleOutCli.Run(["submit", "tiny-cells", "--slurm", "--wait", "--out", dir.Path, .. Tasks]);
        Assert.True(exit != 0, output);
        string experimentDir = Path.Combine(dir.Path, "tiny-cells");
        var first = SubmitRecord.TryLoad(Path.Combine(experimentDir, "slurm"))!;
        Assert.Contains($"FAILED task 1 (seed=2): exit 1", output);
        Assert.Contains($"log: {first.TaskLog(1)}", output);
        Assert.Contains($"--- last lines of {first.TaskLog(1)}", output);
        Assert.Contains("ok     task 0 (seed=1)", output);
        Assert.Contains("ok     task 2 (seed=3)", output);
        Assert.Contains("FAILED aggregation (report): not run", output);
        Assert.Contains("finetune/target", File.ReadAllText(first.TaskLog(1)));
        var failure = StageFailures.Read(cell2.Store, cell2.Graph.ComputeKeys()["finetune/target"])!;
        Assert.Equal(first.TaskLog(1), failure.Log);

        File.Delete(blocked);
        var missing = new List<string>();
        foreach (var cell in cells)
        {
            var g = StagedExperimentRunner.Graph(cell, new RunOptions { OutputRoot = dir.Path });
            var keys = g.Graph.ComputeKeys();
            missing.AddRange(g.Graph.Stages.Where(s => g.Store.Check(keys[s.Id], out _) != ArtifactState.Complete).Select(s => $"{cell.Cell}: {s.Id}"));
        }
        Assert.Equal(8, missing.Count); // everything of seed=2 after init/model

        var (again, output2) = ScaleOutCli.Run(["submit", "tiny-cells", "--slurm", "--wait", "--out", dir.Path, .. Tasks]);
        Assert.True(again == 0, output2);
        var executed = Enumerable.Range(0, 3).SelectMany(i => TaskRecord.TryLoad(TaskRecord.PathOf(experimentDir, i))!.Executed).ToList();
        Assert.Equal(missing.Order(StringComparer.Ordinal), executed.Order(StringComparer.Ordinal));
        ScaleOutCli.AssertSameResults(reference.ExperimentDir, experimentDir);
    }

    private static IReadOnlyList<DslUnlearn.Specs.ExperimentSpec> Cells()
    {
        var cells = ExperimentCatalog.Find("tiny-cells")!.Cells;
        Assert.Equal(["seed=1", "seed=2", "seed=3"], cells.Select(c => c.Cell));
        return cells;
    }
}
