namespace DslUnlearn.Engine;

/// <summary>
/// An exclusive lock on a file. On Linux .NET takes an advisory <c>flock</c> for <see cref="FileShare.None"/>,
/// which the kernel drops when the process dies (SIGKILL included), so a killed run never leaves a stale lock.
/// Works between processes and between two opens in one process.
/// </summary>
public sealed class StageLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _path;

    private StageLock(FileStream stream, string path)
    {
        _stream = stream;
        _path = path;
    }

    public static StageLock? TryAcquire(string path)
    {
        try
        {
            return new StageLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None), path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static StageLock Acquire(string path, Action<string>? onWait = null, CancellationToken cancel = default)
    {
        bool announced = false;
        int delay = 20;
        while (true)
        {
            var held = TryAcquire(path);
            if (held is not null) return held;
            if (!announced)
            {
                onWait?.Invoke($"waiting for {Path.GetFileName(path)} (another run is building this stage)");
                announced = true;
            }
            cancel.ThrowIfCancellationRequested();
            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 250);
        }
    }

    /// <summary>Deletes the lock file while still holding it (gc, for keys it removed).</summary>
    internal void DeleteLockFile()
    {
        try { File.Delete(_path); } catch (IOException) { }
    }

    public void Dispose() => _stream.Dispose();
}
