using DslUnlearn.Progress;

namespace DslUnlearn.Engine;

/// <summary>What one worker of `run --jobs N` did.</summary>
/// <param name="Built">The stages this worker computed (graph index and outcome).</param>
/// <param name="Blocked">Stages that can never become ready because a stage they need failed during this run.</param>
public sealed record WorkerRunResult(IReadOnlyList<(int Graph, StageOutcome Outcome)> Built, IReadOnlyList<string> Blocked);

public sealed partial class BuildEngine
{
    /// <summary>
    /// Worker mode (`run --jobs N` starts N processes that each call this): repeatedly takes any stage of the graphs
    /// whose inputs are stored and whose lock is free, builds it, and returns once every stage is stored. Stages are
    /// tried in graph order, so workers take cells' early stages first. A stage that failed since
    /// <paramref name="since"/> is left alone (another worker already reported it); when nothing can progress any more
    /// the stages still missing are returned as blocked.
    /// </summary>
    public WorkerRunResult BuildReady(IReadOnlyList<StageGraph> graphs, IProgressSink progress, DateTime since, CancellationToken cancel = default)
    {
        var keys = graphs.Select(g => g.ComputeKeys()).ToList();
        var built = new List<(int, StageOutcome)>();
        // Stored artifacts are immutable (content-addressed, committed by rename): once this worker verified one, its
        // scans trust that record instead of re-hashing every file of every complete stage after each built stage
        // (which made a run's scans O(stages^2)). A stage that reads an input still opens it verified.
        var verified = new HashSet<string>(StringComparer.Ordinal);
        bool Complete(string key)
        {
            if (verified.Contains(key)) return true;
            if (store.Check(key, out _) != ArtifactState.Complete) return false;
            verified.Add(key);
            return true;
        }
        int idleScans = 0, lastComplete = -1;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            int complete = 0, pending = 0;
            bool anyLocked = false, progressed = false;
            var blocked = new List<string>();
            for (int gi = 0; gi < graphs.Count && !progressed; gi++)
                foreach (var s in graphs[gi].Stages)
                {
                    string key = keys[gi][s.Id];
                    if (Complete(key)) { complete++; continue; }
                    pending++;
                    if (File.Exists(store.LockPath(key))) { anyLocked = true; continue; }
                    if (StageFailures.Read(store, key) is { } f && DateTime.Parse(f.FailedUtc, null, System.Globalization.DateTimeStyles.RoundtripKind) >= since)
                    {
                        blocked.Add($"{s.Id} ({key[..12]}) failed: {f.Error}");
                        continue;
                    }
                    if (s.Inputs.Any(i => !Complete(keys[gi][i]))) continue;
                    using var held = store.TryLock(key, progress.Message);
                    if (held is null) { anyLocked = true; continue; }
                    var outcome = BuildLocked(graphs[gi], s, keys[gi], held, progress, cancel, force: false, previous: null);
                    if (!outcome.IsCached) built.Add((gi, outcome));
                    verified.Add(key); // committed by this worker (or found built meanwhile, verified by BuildLocked)
                    progressed = true;
                    break;
                }
            if (progressed) { idleScans = 0; continue; }
            if (pending == 0) return new WorkerRunResult(built, []);
            // Nothing startable: wait for the other workers, unless nobody holds a lock and nothing changed for two scans.
            idleScans = !anyLocked && complete == lastComplete ? idleScans + 1 : 0;
            lastComplete = complete;
            if (idleScans >= 3) return new WorkerRunResult(built, blocked.Count > 0 ? blocked : [$"{pending} stage(s) wait for inputs that no worker builds"]);
            Thread.Sleep(200);
        }
    }
}
