namespace DslUnlearn.Engine;

/// <summary>One file of an artifact as recorded in its index.</summary>
public sealed record ArtifactFile(string Path, long Size, string Sha256);

/// <summary>The index that marks an artifact complete: every file with its size and SHA-256.</summary>
public sealed record ArtifactIndex(string Key, string Stage, IReadOnlyList<ArtifactFile> Files)
{
    public long TotalBytes => Files.Sum(f => f.Size);
}

/// <summary>A complete, verified artifact (read-only).</summary>
public sealed class Artifact(string key, string directory, ArtifactIndex index)
{
    public string Key => key;
    public string Directory => directory;
    public ArtifactIndex Index => index;

    public string PathOf(string file)
    {
        if (!index.Files.Any(f => f.Path == file))
            throw new InvalidOperationException($"Artifact {key[..12]} ({index.Stage}) has no file '{file}'; it has: {string.Join(", ", index.Files.Select(f => f.Path))}.");
        return Path.Combine(directory, file);
    }

    public string ReadText(string file) => File.ReadAllText(PathOf(file));
}

/// <summary>What the store holds for a key.</summary>
public enum ArtifactState { Complete, Missing, Corrupt }

/// <summary>
/// Content-addressed store of stage outputs: <c>objects/&lt;kk&gt;/&lt;key&gt;/</c> holds the files of one stage
/// output plus <c>_index.json</c> (size and SHA-256 per file). An output is written into <c>tmp/</c> (each file
/// fsynced, the index last) and then renamed into place, so a reader sees a complete artifact or none. Every
/// read verifies sizes and hashes; a partial or corrupt artifact is reported as such and never read.
/// <c>work/&lt;key&gt;/</c> holds training checkpoints of a stage in progress; <c>locks/&lt;key&gt;.lock</c> is its
/// lock file (<see cref="StageLock"/>); <c>failed/&lt;key&gt;.json</c> its last failure.
/// </summary>
public sealed class ArtifactStore
{
    public const string IndexFile = "_index.json";
    public const string StoreFolderName = "_store";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public ArtifactStore(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The store of an output root (the folder that also holds one folder per experiment).</summary>
    public static ArtifactStore ForOutputRoot(string outputRoot) => new(Path.Combine(outputRoot, StoreFolderName));

    public string Root { get; }
    private string Objects => Path.Combine(Root, "objects");
    private string Tmp => Path.Combine(Root, "tmp");
    private string Locks => Path.Combine(Root, "locks");
    private string Work => Path.Combine(Root, "work");

    public string DirectoryOf(string key) => Path.Combine(Objects, key[..2], key);

    /// <summary>Checkpoint folder of a stage in progress (created on demand).</summary>
    public string WorkDirectory(string key) => Path.Combine(Work, key);

    /// <summary>All keys that have an object folder (complete or not).</summary>
    public IEnumerable<string> Keys()
        => Directory.Exists(Objects)
            ? Directory.EnumerateDirectories(Objects).SelectMany(Directory.EnumerateDirectories).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)
            : [];

    /// <summary>Verifies the artifact of <paramref name="key"/>: index present and every file of the right size and hash.</summary>
    public ArtifactState Check(string key, out string? problem)
    {
        problem = null;
        string dir = DirectoryOf(key);
        if (!Directory.Exists(dir)) return ArtifactState.Missing;
        return VerifyFolder(dir, key, out problem) is null ? ArtifactState.Corrupt : ArtifactState.Complete;
    }

    /// <summary>Reads a folder's index and checks every file's size and SHA-256; null (with the reason) when anything is off.</summary>
    public static ArtifactIndex? VerifyFolder(string dir, string key, out string? problem)
    {
        problem = null;
        ArtifactIndex? index;
        try { index = JsonSerializer.Deserialize<ArtifactIndex>(File.ReadAllBytes(Path.Combine(dir, IndexFile)), Json); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            problem = $"index unreadable ({e.GetType().Name})";
            return null;
        }
        if (index is null || index.Key != key) { problem = "index does not match its key"; return null; }
        foreach (var f in index.Files)
        {
            var info = new FileInfo(Path.Combine(dir, f.Path));
            if (!info.Exists) { problem = $"{f.Path} is missing"; return null; }
            if (info.Length != f.Size) { problem = $"{f.Path} has {info.Length} bytes, the index says {f.Size}"; return null; }
            if (HashFile(info.FullName) != f.Sha256) { problem = $"{f.Path} fails its SHA-256 check"; return null; }
        }
        return index;
    }

    /// <summary>Writes <c>_index.json</c> for files already in <paramref name="dir"/> (fsynced).</summary>
    internal static ArtifactIndex WriteIndex(string dir, string key, string stage, IReadOnlyList<ArtifactFile> files)
    {
        var index = new ArtifactIndex(key, stage, files);
        WriteDurable(Path.Combine(dir, IndexFile), s => JsonSerializer.Serialize(s, index, Json));
        return index;
    }

    /// <summary>The verified artifact, or null when it is missing or corrupt (never a partial one).</summary>
    public Artifact? TryOpen(string key)
    {
        string dir = DirectoryOf(key);
        if (!Directory.Exists(dir)) return null;
        var index = VerifyFolder(dir, key, out _);
        return index is null ? null : new Artifact(key, dir, index);
    }

    public Artifact Open(string key)
        => TryOpen(key) ?? throw new InvalidOperationException(
            $"Artifact {key} is missing or corrupt in {Root}. Run the experiment again (`dslunlearn run`) to rebuild it.");

    /// <summary>Starts writing the output of <paramref name="key"/>; call while holding its <see cref="Lock"/>.</summary>
    public ArtifactWriter Create(string key, string stage)
    {
        Directory.CreateDirectory(Tmp);
        foreach (var stale in Directory.EnumerateDirectories(Tmp, key + ".*")) TryDelete(stale); // a killed writer's leftovers
        string dir = Path.Combine(Tmp, $"{key}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return new ArtifactWriter(this, key, stage, dir);
    }

    internal Artifact Commit(ArtifactWriter writer, IReadOnlyList<ArtifactFile> files)
    {
        var index = WriteIndex(writer.Directory, writer.Key, writer.Stage, files);
        CrashPoints.Hit($"commit:{writer.Stage}");
        string final = DirectoryOf(writer.Key);
        if (Directory.Exists(final)) Discard(writer.Key);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        Directory.Move(writer.Directory, final);
        return new Artifact(writer.Key, final, index);
    }

    /// <summary>Removes an artifact (first renamed away, so a kill mid-delete leaves no half-visible object).</summary>
    public void Discard(string key)
    {
        string dir = DirectoryOf(key);
        if (!Directory.Exists(dir)) return;
        Directory.CreateDirectory(Tmp);
        string trash = Path.Combine(Tmp, $"trash.{key}.{Guid.NewGuid():N}");
        Directory.Move(dir, trash);
        TryDelete(trash);
    }

    /// <summary>Exclusive lock of one stage key (a heartbeat lock file that works on NFS; a dead holder's lock is taken over).</summary>
    public StageLock Lock(string key, Action<string>? onWait = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(Locks);
        return StageLock.Acquire(Path.Combine(Locks, key + ".lock"), onWait, cancel);
    }

    /// <summary>Non-blocking lock attempt (for gc): null when someone holds it.</summary>
    public StageLock? TryLock(string key, Action<string>? onMessage = null)
    {
        Directory.CreateDirectory(Locks);
        return StageLock.TryAcquire(LockPath(key), onMessage);
    }

    /// <summary>The lock file of a key (present while a worker builds it; see <see cref="StageLock"/>).</summary>
    public string LockPath(string key) => Path.Combine(Locks, key + ".lock");

    /// <summary>Deletes every object (and checkpoint folder) whose key is not in <paramref name="referenced"/>.</summary>
    public GcResult Collect(IReadOnlySet<string> referenced, bool dryRun = false)
    {
        var removed = new List<string>();
        long bytes = 0;
        var skipped = new List<string>();
        var candidates = Keys().Concat(Directory.Exists(Work) ? Directory.EnumerateDirectories(Work).Select(Path.GetFileName).OfType<string>() : [])
            .Where(k => !referenced.Contains(k)).Distinct().ToList();
        foreach (var key in candidates)
        {
            using var held = TryLock(key);
            if (held is null) { skipped.Add(key); continue; } // a run is writing it right now
            foreach (var dir in new[] { DirectoryOf(key), WorkDirectory(key) })
            {
                if (!Directory.Exists(dir)) continue;
                bytes += new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
                if (!dryRun)
                {
                    if (dir == DirectoryOf(key)) Discard(key); else TryDelete(dir);
                }
            }
            removed.Add(key);
            if (!dryRun) held.DeleteLockFile();
        }
        if (!dryRun && Directory.Exists(Tmp))
            foreach (var stale in Directory.EnumerateDirectories(Tmp))
            {
                string name = Path.GetFileName(stale);
                string key = name.StartsWith("trash.", StringComparison.Ordinal) ? "" : name.Split('.')[0];
                using var held = key.Length == 64 ? TryLock(key) : null;
                if (key.Length == 64 && held is null) continue;
                TryDelete(stale);
            }
        return new GcResult(removed, bytes, skipped);
    }

    /// <summary>SHA-256 of a file, through <see cref="FileHashCache"/>: a large stored model is read in full once, not on every run.</summary>
    public static string HashFile(string path) => FileHashCache.Sha256(path);

    /// <summary>Writes a file and fsyncs it (the caller renames the folder it is in).</summary>
    internal static void WriteDurable(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    internal static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>What gc removed (keys and bytes), and what it left because a run held its lock.</summary>
public sealed record GcResult(IReadOnlyList<string> RemovedKeys, long RemovedBytes, IReadOnlyList<string> SkippedLocked)
{
    public int ReferencedKeys { get; init; }
    public int Manifests { get; init; }
}

/// <summary>Collects the files of one stage output in a private temp folder, then commits them atomically.</summary>
public sealed class ArtifactWriter
{
    private readonly ArtifactStore _store;
    private readonly List<ArtifactFile> _files = [];
    private bool _committed;

    internal ArtifactWriter(ArtifactStore store, string key, string stage, string directory)
    {
        _store = store;
        Key = key;
        Stage = stage;
        Directory = directory;
    }

    public string Key { get; }
    public string Stage { get; }
    public string Directory { get; }

    /// <summary>Writes one file (fsynced) and records its size and hash.</summary>
    public void WriteFile(string name, Action<Stream> write)
    {
        if (_committed) throw new InvalidOperationException("The artifact is already committed.");
        if (name == ArtifactStore.IndexFile || name.Contains("..") || Path.IsPathRooted(name))
            throw new ArgumentException($"Invalid artifact file name '{name}'.", nameof(name));
        string path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (CrashPoints.Armed) CrashMidWrite($"write:{Stage}:{name}", path, write);
        ArtifactStore.WriteDurable(path, write);
        _files.Add(new ArtifactFile(name.Replace('\\', '/'), new FileInfo(path).Length, ArtifactStore.HashFile(path)));
    }

    public void WriteText(string name, string text)
        => WriteFile(name, s => { var bytes = new System.Text.UTF8Encoding(false).GetBytes(text); s.Write(bytes); });

    public void WriteJson<T>(string name, T value, JsonSerializerOptions? options = null)
        => WriteFile(name, s => JsonSerializer.Serialize(s, value, options ?? StageJson.Options));

    /// <summary>Copies an existing file into the artifact.</summary>
    public void CopyFile(string name, string source) => WriteFile(name, s => { using var f = File.OpenRead(source); f.CopyTo(s); });

    public Artifact Commit()
    {
        _committed = true;
        return _store.Commit(this, _files);
    }

    private static void CrashMidWrite(string point, string path, Action<Stream> write)
    {
        if (Environment.GetEnvironmentVariable(CrashPoints.Variable) != point) return;
        using var memory = new MemoryStream();
        write(memory);
        using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            f.Write(memory.GetBuffer(), 0, (int)(memory.Length / 2));
            f.Flush(flushToDisk: true);
        }
        CrashPoints.Hit(point);
    }
}

/// <summary>JSON settings for stage outputs: snake_case, exact doubles, NaN allowed.</summary>
public static class StageJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
