using System.Globalization;
using DslUnlearn.Engine.Slurm;
using DslUnlearn.Engine.Workers;
using DslUnlearn.Pipeline;

namespace DslUnlearn.Cli;

/// <summary>
/// `dslunlearn status &lt;experiment&gt;`: every stage of every cell as done, running (host, pid, since), failed (with its
/// log) or missing, plus the Slurm job ids of the last submit. Reads only the store, the lock files and the records
/// under &lt;out&gt;/&lt;experiment&gt;/; never asks the scheduler.
/// </summary>
internal static class StatusCommand
{
    public static Command Build() => Commands.ForExperiment("status",
        "Show every stage as done, running (host, pid, since), failed (with its log) or missing, and the Slurm jobs of the last submit; reads the store and lock files only.",
        "Output root the experiment runs with (default: the spec's report.out).", Run);

    private static int Run(IExperiment experiment, string? outRoot)
    {
        var options = new RunOptions { OutputRoot = outRoot };
        var now = DateTime.UtcNow;
        var counts = new Dictionary<string, int> { ["done"] = 0, ["running"] = 0, ["failed"] = 0, ["missing"] = 0 };
        foreach (var cell in experiment.Cells)
        {
            var g = StagedExperimentRunner.Graph(cell, options);
            var keys = g.Graph.ComputeKeys();
            Console.WriteLine(cell.Cell is null ? $"{cell.Name} (store {g.Store.Root}):" : $"cell {cell.Cell}:");
            foreach (var s in g.Graph.Stages)
            {
                string key = keys[s.Id];
                var (state, detail) = Describe(g.Store, key, now);
                counts[state]++;
                Console.WriteLine($"  {s.Id,-28} {state,-8} {key[..12]}  {detail}");
            }
        }
        Console.WriteLine($"Stages: {string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))}.");

        string experimentDir = Path.Combine(StagedExperimentRunner.OutputRoot(experiment.Spec, options), experiment.Name);
        if (SubmitRecord.TryLoad(Path.Combine(experimentDir, "slurm")) is { } submit)
        {
            Console.WriteLine($"Last submit {submit.SubmittedUtc}: job array {submit.ArrayJobId} ({submit.Tasks} task(s)), aggregation job {submit.AggregateJobId}; logs in {Path.Combine(submit.SlurmDirectory, "logs")}.");
            for (int i = 0; i < submit.Tasks; i++)
            {
                var t = TaskRecord.TryLoad(TaskRecord.PathOf(experimentDir, i));
                string line = t is null ? "no record yet (pending, or not started)"
                    : $"{t.Status} on {t.Worker.Describe()}, started {t.StartedUtc}" + (t.FinishedUtc is null ? "" : $", {t.Executed.Count} stage(s) computed in {t.Seconds:F1} s")
                      + (t.Error is null ? "" : $": {t.Error}");
                Console.WriteLine($"  task {i} ({(i < submit.Units.Count ? submit.Units[i] : "?")}): {line}");
            }
        }
        return Commands.Ok;
    }

    /// <summary>State of one key: done (who built it, how long), running (lock holder, heartbeat), failed (error, log) or missing.</summary>
    private static (string State, string Detail) Describe(ArtifactStore store, string key, DateTime now)
    {
        var state = store.Check(key, out var problem);
        if (state == ArtifactState.Complete)
        {
            var built = StageProvenance.Read(store.DirectoryOf(key));
            return ("done", built is null ? "" : $"built by {built.BuiltBy.Describe()} in {built.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s at {built.FinishedUtc}");
        }
        if (StageLock.Read(store.LockPath(key)) is { } held)
            return ("running", held.Describe(now) + (held.IsStale(now, LockSettings.Timeout) ? " (stale: the next worker takes it over)" : ""));
        if (StageFailures.Read(store, key) is { } f)
            return ("failed", $"{f.FailedUtc} on {f.Worker.Describe()}: {f.Error}" + (f.Log is null ? "" : $"; log: {f.Log}"));
        return ("missing", state == ArtifactState.Corrupt ? $"corrupt ({problem}); rebuilt by the next run" : "");
    }
}
