using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace DslUnlearn.Engine;

/// <summary>
/// SHA-256 of files, remembered by (full path, size, last-write time) as git's index does, so a multi-GB
/// checkpoint or stored model is read in full once, not on every run. The memory is kept per process and in
/// <c>file-hashes.json</c> under <see cref="Directory"/>; a file rewritten in place gets a new write time and
/// is hashed again. Set <c>DSLUNLEARN_REHASH=1</c> to ignore the memory (e.g. to look for bit rot).
/// The cache is best effort: when its file cannot be read or written, hashing simply happens again.
/// </summary>
public static class FileHashCache
{
    private sealed record Entry(long Size, long WriteTicks, string Sha256);

    private static readonly ConcurrentDictionary<string, Entry> Memory = new(StringComparer.Ordinal);
    private static readonly object Gate = new();
    private static bool _loaded;
    /// <summary>Entries kept on disk at most; the oldest-added go first.</summary>
    private const int MaxEntries = 20_000;

    /// <summary>
    /// Where the cache file lives: <c>DSLUNLEARN_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/dslunlearn</c>, else
    /// <c>~/.cache/dslunlearn</c>.
    /// </summary>
    public static string Directory
    {
        get
        {
            string? dir = Environment.GetEnvironmentVariable("DSLUNLEARN_CACHE_DIR");
            if (!string.IsNullOrEmpty(dir)) return dir;
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "dslunlearn");
        }
    }

    private static string CacheFile => Path.Combine(Directory, "file-hashes.json");
    private static bool Bypass => Environment.GetEnvironmentVariable("DSLUNLEARN_REHASH") == "1";

    /// <summary>Lower-case hex SHA-256 of <paramref name="path"/>'s content.</summary>
    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Cannot hash {path}: the file does not exist.", path);
        string full = info.FullName;
        long ticks = info.LastWriteTimeUtc.Ticks;
        if (!Bypass)
        {
            Load();
            if (Memory.TryGetValue(full, out var e) && e.Size == info.Length && e.WriteTicks == ticks) return e.Sha256;
        }
        string hash = HashContent(full);
        // Small files are cheap to re-read; remembering them would only grow the cache file.
        if (info.Length >= 1 << 20)
        {
            Memory[full] = new Entry(info.Length, ticks, hash);
            Save();
        }
        return hash;
    }

    public static string HashContent(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void Load()
    {
        lock (Gate)
        {
            if (_loaded) return;
            _loaded = true;
            try
            {
                if (!File.Exists(CacheFile)) return;
                var saved = JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllBytes(CacheFile));
                if (saved is null) return;
                foreach (var (k, v) in saved) Memory.TryAdd(k, v);
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        }
    }

    private static void Save()
    {
        lock (Gate)
        {
            try
            {
                var live = Memory.Where(kv => File.Exists(kv.Key)).Take(MaxEntries).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                System.IO.Directory.CreateDirectory(Directory);
                string tmp = $"{CacheFile}.{Environment.ProcessId}.tmp";
                File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(live));
                File.Move(tmp, CacheFile, overwrite: true); // atomic: a concurrent reader sees the old or the new file
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Forgets the in-process memory (tests; the file is re-read on next use).</summary>
    internal static void ResetForTests()
    {
        lock (Gate) { Memory.Clear(); _loaded = false; }
    }
}
