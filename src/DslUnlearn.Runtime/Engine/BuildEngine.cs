using System.Diagnostics;
using DslUnlearn.Progress;

namespace DslUnlearn.Engine;

/// <summary>What a run would do with one stage, and why.</summary>
/// <param name="WillRun">False when the stored artifact is complete and verified.</param>
/// <param name="Reason">"cached", "new", "changed (...)", "missing", "corrupt (...)", "forced"; plus a resume note.</param>
public sealed record StagePlan(string Id, string Kind, string Key, bool WillRun, string Reason);

/// <summary>What a run did with one stage.</summary>
/// <param name="Status">A <see cref="StageStatus"/> constant.</param>
public sealed record StageOutcome(string Id, string Kind, string Key, string Status, string Reason, double Seconds, int? ResumedFromStep, long Bytes)
{
    public bool IsCached => Status == StageStatus.Cached;
}

/// <summary>Runs a <see cref="StageGraph"/> against an <see cref="ArtifactStore"/>: stages whose verified output is
/// stored are skipped; the others run under their key's lock and commit atomically.</summary>
public sealed partial class BuildEngine(ArtifactStore store, EngineOptions options)
{
    public ArtifactStore Store => store;

    /// <summary>The dry-run: which stages would run and why, compared with the previous manifest if any.</summary>
    public IReadOnlyList<StagePlan> Plan(StageGraph graph, RunManifest? previous, bool forceReport = false)
    {
        var keys = graph.ComputeKeys();
        var plans = new List<StagePlan>();
        foreach (var s in graph.Stages)
        {
            string key = keys[s.Id];
            var state = store.Check(key, out var problem);
            if (state == ArtifactState.Complete && !(forceReport && s.IsReport))
            {
                plans.Add(new StagePlan(s.Id, s.Kind, key, false, StageStatus.Cached));
                continue;
            }
            string reason = state == ArtifactState.Corrupt ? $"corrupt ({problem})"
                : forceReport && s.IsReport ? "forced"
                : WhyNotStored(s, key, keys, graph, previous);
            int? ckpt = NewestCheckpointStep(key);
            if (ckpt is { } step) reason += $"; resumes from checkpoint at step {step}";
            plans.Add(new StagePlan(s.Id, s.Kind, key, true, reason));
        }
        return plans;
    }

    private static string WhyNotStored(StageDefinition s, string key, IReadOnlyDictionary<string, string> keys, StageGraph graph, RunManifest? previous)
    {
        var before = previous?.Stages.FirstOrDefault(p => p.Id == s.Id);
        if (before is null) return "new";
        if (before.Key == key) return "missing";
        var what = new List<string>();
        if (before.OptionsSha256 != CanonicalJson.Hash(s.Options)) what.Add("options");
        var changedInputs = s.Inputs.Where(i => !before.Inputs.TryGetValue(i, out var k) || k != keys[i]).ToList();
        if (changedInputs.Count > 0) what.Add("inputs " + string.Join(", ", changedInputs));
        if (before.Runtime != EngineInfo.RuntimeVersion) what.Add("runtime version");
        if (previous!.Seed != graph.Seed) what.Add("seed");
        return what.Count == 0 ? "changed" : $"changed ({string.Join("; ", what)})";
    }

    private int? NewestCheckpointStep(string key)
    {
        string work = store.WorkDirectory(key);
        if (!Directory.Exists(work)) return null;
        var newest = Directory.EnumerateDirectories(work, "ckpt-*").Select(Path.GetFileName).OrderDescending(StringComparer.Ordinal).FirstOrDefault();
        return newest is not null && int.TryParse(newest.AsSpan(5), out int step) ? step : null;
    }

    /// <summary>
    /// Builds every stage in order. <paramref name="forceReport"/> rebuilds report stages even when stored;
    /// <paramref name="noCompute"/> refuses to run any non-report stage (for `dslunlearn report`).
    /// </summary>
    public IReadOnlyList<StageOutcome> Build(StageGraph graph, IProgressSink progress, CancellationToken cancel = default,
        bool forceReport = false, bool noCompute = false, RunManifest? previous = null)
    {
        var keys = graph.ComputeKeys();
        var outcomes = new List<StageOutcome>();
        foreach (var s in graph.Stages)
        {
            cancel.ThrowIfCancellationRequested();
            string key = keys[s.Id];
            bool force = forceReport && s.IsReport;
            if (!force && store.TryOpen(key) is { } stored)
            {
                outcomes.Add(Cached(s, stored));
                continue;
            }
            var state = store.Check(key, out var problem);
            if (noCompute && !s.IsReport)
                throw new InvalidOperationException(
                    $"Stage '{s.Id}' ({key[..12]}) is {(state == ArtifactState.Corrupt ? $"corrupt ({problem})" : "not in the store")} at {store.Root}; " +
                    "`dslunlearn report` only reads stored artifacts. Run `dslunlearn run <experiment>` first (with the same --out).");

            using var held = store.Lock(key, progress.Message, cancel);
            outcomes.Add(BuildLocked(graph, s, keys, held, progress, cancel, force, previous));
        }
        return outcomes;
    }

    /// <summary>Builds one stage whose lock the caller holds (or finds it built meanwhile by another worker).</summary>
    private StageOutcome BuildLocked(StageGraph graph, StageDefinition s, IReadOnlyDictionary<string, string> keys, StageLock held,
        IProgressSink progress, CancellationToken cancel, bool force, RunManifest? previous)
    {
        string key = keys[s.Id];
        if (!force && store.TryOpen(key) is { } builtMeanwhile) return Cached(s, builtMeanwhile); // another worker built it while we waited
        var state = store.Check(key, out var problem);
        string reason = state == ArtifactState.Corrupt ? $"corrupt ({problem}), rebuilt" : force ? "forced" : WhyNotStored(s, key, keys, graph, previous);
        if (state == ArtifactState.Corrupt) progress.Message($"Artifact of '{s.Id}' ({key[..12]}) is corrupt: {problem}. Rebuilding it.");
        store.Discard(key);

        var writer = store.Create(key, s.Id);
        var ctx = new StageContext
        {
            Stage = s, Key = key, Output = writer, Store = store, Keys = keys, Progress = progress, Options = options, Cancellation = cancel,
        };
        var clock = Stopwatch.StartNew();
        var cpuAtStart = Environment.CpuUsage.TotalTime;
        try
        {
            torch.manual_seed(s.Seed ?? graph.Seed); // every stage starts from the same torch RNG state, whatever ran before it
            s.Execute(ctx);
            if (held.Lost)
                throw new InvalidOperationException($"Stage '{s.Id}' ({key[..12]}): this worker lost its lock (it did not refresh the heartbeat for {LockSettings.Timeout.TotalSeconds:F0} s) " +
                    "and another worker took the stage over; its result is discarded. Run again to pick up the other worker's output.");
            StageProvenance.WriteInto(writer.Directory, s.Id, clock.Elapsed.TotalSeconds, ctx.ResumedFromStep,
                (Environment.CpuUsage.TotalTime - cpuAtStart).TotalSeconds);
            var artifact = writer.Commit();
            ArtifactStore.TryDelete(store.WorkDirectory(key)); // checkpoints are not needed once the output exists
            StageFailures.Clear(store, key);
            return new StageOutcome(s.Id, s.Kind, key, ctx.ResumedFromStep is null ? StageStatus.Executed : StageStatus.Resumed,
                ctx.ResumedFromStep is { } r ? $"{reason}; resumed from step {r}" : reason, clock.Elapsed.TotalSeconds, ctx.ResumedFromStep, artifact.Index.TotalBytes);
        }
        catch (Exception e)
        {
            ArtifactStore.TryDelete(writer.Directory);
            if (e is not OperationCanceledException)
            {
                StageFailures.Record(store, key, s.Id, e);
                progress.Message($"Stage '{s.Id}' ({key[..12]}) failed: {e.GetType().Name}: {e.Message}");
            }
            throw;
        }
    }

    private static StageOutcome Cached(StageDefinition s, Artifact a)
        => new(s.Id, s.Kind, a.Key, StageStatus.Cached, StageStatus.Cached, 0, null, a.Index.TotalBytes);
}
