using DslUnlearn.Progress;
using DslUnlearn.Tests.Engine;

namespace DslUnlearn.Tests.ScaleOut;

/// <summary>
/// The stage lock as workers on several hosts see it: an atomically created file with its holder and a heartbeat.
/// Racing workers compute a stage once; a SIGKILLed worker's lock is taken over; a lock whose heartbeat stopped
/// (a holder on another host) is taken over after the timeout, and not before.
/// </summary>
[Collection(EngineCollection.Name)]
public class HeartbeatLockTests(TinyReference reference)
{
    private static string Key(char c) => new(c, 64);

    [Fact]
    public void A_held_lock_names_its_holder_and_refreshes_its_heartbeat()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, Key('a') + ".lock");
        using var held = StageLock.TryAcquire(path, null, TimeSpan.FromSeconds(1))!;
        var state = StageLock.Read(path)!;
        Assert.Equal(Environment.ProcessId, state.Info!.Holder.Pid);
        Assert.Equal(Environment.MachineName, state.Info.Holder.Host);
        Assert.False(state.Info.Holder.IsCertainlyDeadHere());

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1)); // as if the heartbeat had stopped
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > TimeSpan.FromMinutes(1) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < TimeSpan.FromSeconds(5), "the holder refreshes the heartbeat (every timeout/8)");
        Assert.Null(StageLock.TryAcquire(path, null, TimeSpan.FromSeconds(1)));
        Assert.False(held.Lost);
        held.Dispose();
        Assert.False(File.Exists(path), "releasing deletes the lock file");
    }

    [Fact]
    public void A_lock_of_another_host_is_taken_over_only_once_its_heartbeat_is_older_than_the_timeout()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, Key('b') + ".lock");
        var foreign = new LockInfo
        {
            Holder = new WorkerIdentity { Host = "other-node", Pid = 4242, SlurmArrayJobId = "17", SlurmArrayTaskId = "3" },
            StartedUtc = "2026-01-01T00:00:00Z", Token = "t1",
        };
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(foreign, StageJson.Options));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(-30));

        var messages = new List<string>();
        Assert.Null(StageLock.TryAcquire(path, messages.Add, TimeSpan.FromSeconds(60))); // 30 s old, 60 s timeout: alive
        Assert.Empty(messages);
        Assert.Equal("t1", StageLock.Read(path)!.Info!.Token);

        using var taken = StageLock.TryAcquire(path, messages.Add, TimeSpan.FromSeconds(20));
        Assert.NotNull(taken);
        var message = Assert.Single(messages);
        Assert.Contains("Taking over the stale lock", message);
        Assert.Contains("other-node pid 4242 (slurm job 17_3)", message);
        Assert.Contains("heartbeat older than the 20 s timeout", message);
        Assert.Equal(Environment.ProcessId, StageLock.Read(path)!.Info!.Holder.Pid);
        Assert.False(File.Exists(path + ".takeover"));
    }

    [Fact]
    public async Task Two_workers_racing_for_the_same_stages_compute_each_once()
    {
        using var dir = new TempDir();
        using var a = EngineScenarios.StartChild("tiny", dir.Path, threads: 1);
        using var b = EngineScenarios.StartChild("tiny", dir.Path, threads: 1);
        var outA = a.StandardOutput.ReadToEndAsync();
        var outB = b.StandardOutput.ReadToEndAsync();
        var errA = a.StandardError.ReadToEndAsync();
        var errB = b.StandardError.ReadToEndAsync();
        Assert.True(a.WaitForExit(240_000) && b.WaitForExit(240_000), "both workers finish");
        // A crashed worker (once: exit 134, an abort) must say why; its stderr is the only record of a native error.
        Assert.True(a.ExitCode == 0, $"worker a exited with {a.ExitCode}; its stderr:\n{await errA}");
        Assert.True(b.ExitCode == 0, $"worker b exited with {b.ExitCode}; its stderr:\n{await errB}");

        var executed = EngineScenarios.ExecutedIn(await outA).Concat(EngineScenarios.ExecutedIn(await outB)).ToList();
        var all = reference.Result.Stages.Select(s => s.Id).ToList();
        Assert.Equal(all.Order(StringComparer.Ordinal), executed.Order(StringComparer.Ordinal)); // every stage once, none twice
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(Path.Combine(dir.Path, "engine-tiny", "results.json")));
    }

    [Fact]
    public void A_worker_killed_with_SIGKILL_leaves_a_stale_lock_that_the_next_worker_takes_over()
    {
        using var dir = new TempDir();
        int pid;
        using (var child = EngineScenarios.StartChild("tiny", dir.Path))
        {
            pid = child.Id;
            string? line;
            while ((line = child.StandardOutput.ReadLine()) is not null)
                if (line.StartsWith("[finetune target] 2", StringComparison.Ordinal)) break;
            Assert.NotNull(line);
            child.Kill(); // SIGKILL: no finally block runs, the lock file stays
            child.WaitForExit();
        }
        var store = ArtifactStore.ForOutputRoot(dir.Path);
        var finetuneKey = reference.Result.Stages.Single(s => s.Id == "finetune/target").Key;
        var left = StageLock.Read(store.LockPath(finetuneKey));
        Assert.NotNull(left);
        Assert.Equal(pid, left.Info!.Holder.Pid);
        Assert.True(left.IsStale(DateTime.UtcNow, LockSettings.Timeout), "a dead holder on this host makes the lock stale at once");

        var progress = new Recording();
        var resumed = StagedExperimentRunner.Run(EngineScenarios.Get("tiny", dir.Path), EngineScenarios.Options with { Progress = progress });
        Assert.Contains(progress.Messages, m => m.StartsWith($"Taking over the stale lock {finetuneKey}.lock", StringComparison.Ordinal)
            && m.Contains($"pid {pid}", StringComparison.Ordinal) && m.Contains("(that process is gone)", StringComparison.Ordinal));
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(resumed.Result.ResultsJsonPath));
        Assert.False(File.Exists(store.LockPath(finetuneKey)), "the new holder released the lock");
    }

    private sealed class Recording : IProgressSink
    {
        public List<string> Messages { get; } = [];
        public void StageStarted(string stage, int total) { }
        public void StageAdvanced(string stage, int done, string? detail = null) { }
        public void StageFinished(string stage, string? summary = null) { }
        public void Message(string text) { lock (Messages) Messages.Add(text); }
    }
}
