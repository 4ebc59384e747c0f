namespace DslUnlearn.Engine;

/// <summary>What a lock file holds: who took it, when, and a token that tells this holder from a later one.</summary>
public sealed record LockInfo
{
    public required WorkerIdentity Holder { get; init; }
    public required string StartedUtc { get; init; }
    public required string Token { get; init; }
}

/// <summary>A lock file as a reader sees it (for waiting, takeover and `status`).</summary>
/// <param name="Info">Null when the file is empty or unreadable (a holder between create and write, or a lock of an older version).</param>
/// <param name="Heartbeat">The file's modification time, which the holder refreshes.</param>
public sealed record LockState(string Path, LockInfo? Info, DateTime Heartbeat)
{
    public TimeSpan Age(DateTime nowUtc) => nowUtc - Heartbeat;

    /// <summary>Stale: its holder is certainly dead (same host, pid gone), or its heartbeat is older than the timeout.</summary>
    public bool IsStale(DateTime nowUtc, TimeSpan timeout)
        => Info is null ? Age(nowUtc) > TimeSpan.FromSeconds(Math.Min(10, timeout.TotalSeconds)) // written within ms of its creation
            : Info.Holder.IsCertainlyDeadHere() || Age(nowUtc) > timeout;

    public string Describe(DateTime nowUtc)
        => (Info is null ? "an unreadable lock" : $"{Info.Holder.Describe()} since {Info.StartedUtc}")
           + $", heartbeat {Age(nowUtc).TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s ago";
}

/// <summary>
/// An exclusive lock of one stage key that works on a shared filesystem (NFS gives no dependable POSIX locks):
/// the lock is a file created atomically (O_CREAT|O_EXCL, atomic on local filesystems and NFSv3+) that holds the
/// holder's host, pid, start time and a token. While held, a timer refreshes its modification time (the heartbeat)
/// every <see cref="LockSettings.HeartbeatInterval"/>. Releasing deletes it. A lock whose heartbeat is older than
/// <see cref="LockSettings.Timeout"/>, or whose holder is a dead process on this host, is stale: the next worker
/// takes it over (under a short-lived guard file, so two waiters never both take it) and says so.
/// Hosts must share a clock to well within the timeout (NTP), as the heartbeat is a wall-clock time.
/// </summary>
public sealed class StageLock : IDisposable
{
    private static readonly JsonSerializerOptions Json = StageJson.Options;
    private readonly string _path;
    private readonly string _token;
    private readonly Timer _heartbeat;
    private int _disposed;

    private StageLock(string path, string token, TimeSpan timeout)
    {
        _path = path;
        _token = token;
        var every = LockSettings.HeartbeatFor(timeout);
        _heartbeat = new Timer(_ => Beat(), null, every, every);
    }

    /// <summary>Set when the heartbeat found the file gone or someone else's: this process was unresponsive past the timeout and another worker took over.</summary>
    public bool Lost { get; private set; }

    /// <summary>Takes the lock if it is free or stale; null when a live holder has it. <paramref name="onMessage"/> hears about takeovers.</summary>
    public static StageLock? TryAcquire(string path, Action<string>? onMessage = null) => TryAcquire(path, onMessage, LockSettings.Timeout);

    /// <summary><see cref="TryAcquire(string, Action{string}?)"/> with an explicit stale timeout (tests).</summary>
    internal static StageLock? TryAcquire(string path, Action<string>? onMessage, TimeSpan timeout)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (TryCreate(path, timeout) is { } held) return held;
            var state = Read(path);
            if (state is null) continue; // released between our create and read: try again
            if (!state.IsStale(DateTime.UtcNow, timeout)) return null;
            if (!TryTakeOver(path, state, onMessage, timeout)) return null;
        }
        return null;
    }

    public static StageLock Acquire(string path, Action<string>? onWait = null, CancellationToken cancel = default)
    {
        bool announced = false;
        int delay = 20;
        while (true)
        {
            var held = TryAcquire(path, onWait);
            if (held is not null) return held;
            if (!announced)
            {
                string who = Read(path)?.Describe(DateTime.UtcNow) ?? "another worker";
                onWait?.Invoke($"waiting for {System.IO.Path.GetFileName(path)} (held by {who}; another worker is building this stage)");
                announced = true;
            }
            cancel.ThrowIfCancellationRequested();
            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 250);
        }
    }

    /// <summary>The lock file's holder and heartbeat, or null when there is no lock file.</summary>
    public static LockState? Read(string path)
    {
        try
        {
            byte[] bytes;
            // Opening the file revalidates its attributes on NFS (close-to-open), so the mtime read next is fresh.
            using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                using var m = new MemoryStream();
                f.CopyTo(m);
                bytes = m.ToArray();
            }
            DateTime beat = File.GetLastWriteTimeUtc(path);
            LockInfo? info = null;
            try { info = bytes.Length == 0 ? null : JsonSerializer.Deserialize<LockInfo>(bytes, Json); }
            catch (JsonException) { }
            return new LockState(path, info, beat);
        }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    private static StageLock? TryCreate(string path, TimeSpan timeout)
    {
        var info = new LockInfo
        {
            Holder = WorkerIdentity.Current(),
            StartedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            Token = Guid.NewGuid().ToString("N"),
        };
        try
        {
            using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete);
            JsonSerializer.Serialize(f, info, Json);
            f.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path)) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return new StageLock(path, info.Token, timeout);
    }

    /// <summary>
    /// Removes a stale lock, under the guard file &lt;lock&gt;.takeover (created atomically): re-reads the lock inside
    /// the guard and removes it only if it is still the stale one seen, so two waiters never both take it over.
    /// </summary>
    private static bool TryTakeOver(string path, LockState seen, Action<string>? onMessage, TimeSpan timeout)
    {
        string guard = path + ".takeover";
        try
        {
            // A guard left by a worker that died inside these few lines is itself stale after the timeout.
            if (File.Exists(guard) && DateTime.UtcNow - File.GetLastWriteTimeUtc(guard) > timeout) File.Delete(guard);
            using (new FileStream(guard, FileMode.CreateNew, FileAccess.Write)) { }
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        try
        {
            var now = Read(path);
            if (now is null) return true; // released meanwhile
            if (now.Info?.Token != seen.Info?.Token || !now.IsStale(DateTime.UtcNow, timeout)) return false;
            onMessage?.Invoke($"Taking over the stale lock {System.IO.Path.GetFileName(path)}: held by {now.Describe(DateTime.UtcNow)}"
                + (now.Info?.Holder.IsCertainlyDeadHere() == true ? " (that process is gone)" : $" (heartbeat older than the {timeout.TotalSeconds:F0} s timeout)") + ".");
            File.Delete(path);
            return true;
        }
        finally
        {
            try { File.Delete(guard); } catch (IOException) { }
        }
    }

    private void Beat()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        try
        {
            if (Read(_path)?.Info?.Token != _token) { Lost = true; return; }
            File.SetLastWriteTimeUtc(_path, DateTime.UtcNow);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Kept for gc, which removes the lock of keys it collected: releasing already deletes the file.</summary>
    internal void DeleteLockFile() { }

    /// <summary>Stops the heartbeat and deletes the lock file if it is still this holder's.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using (var done = new ManualResetEvent(false))
            if (_heartbeat.Dispose(done)) done.WaitOne(); // no beat runs after this
        try
        {
            if (Read(_path)?.Info?.Token == _token) File.Delete(_path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Lock timing: <c>DSLUNLEARN_LOCK_TIMEOUT</c> (seconds, default 120) is how old a heartbeat may get before the lock
/// counts as stale; the holder refreshes it every eighth of that. Keep it above NFS attribute caching (acregmax, 60 s
/// by default) and clock skew between hosts.
/// </summary>
public static class LockSettings
{
    public const string TimeoutVariable = "DSLUNLEARN_LOCK_TIMEOUT";

    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 120);

    public static TimeSpan HeartbeatInterval => HeartbeatFor(Timeout);

    internal static TimeSpan HeartbeatFor(TimeSpan timeout) => TimeSpan.FromSeconds(Math.Max(0.05, timeout.TotalSeconds / 8));
}
