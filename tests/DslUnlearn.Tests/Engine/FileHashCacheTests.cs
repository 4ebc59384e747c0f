using System.Security.Cryptography;

namespace DslUnlearn.Tests.Engine;

public class FileHashCacheTests
{
    private static string Direct(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Large_files_are_hashed_once_and_rehashed_when_rewritten()
    {
        using var dir = new TempDir();
        string cacheDir = Path.Combine(dir.Path, "cache"), file = Path.Combine(dir.Path, "weights.bin");
        var previous = Environment.GetEnvironmentVariable("DSLUNLEARN_CACHE_DIR");
        Environment.SetEnvironmentVariable("DSLUNLEARN_CACHE_DIR", cacheDir);
        FileHashCache.ResetForTests();
        try
        {
            var bytes = new byte[(1 << 20) + 17];
            new Random(7).NextBytes(bytes);
            File.WriteAllBytes(file, bytes);
            string first = FileHashCache.Sha256(file);
            Assert.Equal(Direct(file), first);
            Assert.Contains(Path.GetFullPath(file), File.ReadAllText(Path.Combine(cacheDir, "file-hashes.json")));

            // Rewritten in place (same size, new write time): hashed again.
            bytes[5] ^= 0xFF;
            File.WriteAllBytes(file, bytes);
            File.SetLastWriteTimeUtc(file, File.GetLastWriteTimeUtc(file).AddSeconds(1));
            Assert.Equal(Direct(file), FileHashCache.Sha256(file));
            Assert.NotEqual(first, FileHashCache.Sha256(file));

            // A new process (memory reset) trusts the cache file while size and write time match: that is the
            // trade-off (as in git), and DSLUNLEARN_REHASH=1 bypasses it.
            var stamp = File.GetLastWriteTimeUtc(file);
            string current = FileHashCache.Sha256(file);
            FileHashCache.ResetForTests();
            bytes[9] ^= 0xFF;
            File.WriteAllBytes(file, bytes);
            File.SetLastWriteTimeUtc(file, stamp);
            Assert.Equal(current, FileHashCache.Sha256(file));
            Environment.SetEnvironmentVariable("DSLUNLEARN_REHASH", "1");
            Assert.Equal(Direct(file), FileHashCache.Sha256(file));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DSLUNLEARN_REHASH", null);
            Environment.SetEnvironmentVariable("DSLUNLEARN_CACHE_DIR", previous);
            FileHashCache.ResetForTests();
        }
    }

    [Fact]
    public void Small_files_are_not_remembered_and_missing_files_name_the_path()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "small.txt");
        File.WriteAllText(file, "abc");
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", FileHashCache.Sha256(file));
        var e = Assert.Throws<FileNotFoundException>(() => FileHashCache.Sha256(Path.Combine(dir.Path, "none.bin")));
        Assert.Contains("none.bin", e.Message);
    }
}
