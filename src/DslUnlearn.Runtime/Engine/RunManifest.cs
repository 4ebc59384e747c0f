using System.Diagnostics;
using System.Runtime.InteropServices;
using DslUnlearn.IO;
using DslUnlearn.Torch;

namespace DslUnlearn.Engine;

/// <summary>A stage as the manifest records it: its key and what the key was made of, and what this run did.</summary>
public sealed record ManifestStage
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string Key { get; init; }
    public required string OptionsSha256 { get; init; }
    public required Dictionary<string, string> Inputs { get; init; }
    public required string Runtime { get; init; }
    /// <summary>A <see cref="StageStatus"/> constant: "cached", "executed" or "resumed".</summary>
    public required string Status { get; init; }
    public string? Reason { get; init; }
    /// <summary>Wall time of this stage in this run (0 when cached).</summary>
    public double Seconds { get; init; }
    /// <summary>Wall time of the run that built the stored artifact (carried over from earlier manifests while cached).</summary>
    public double? BuildSeconds { get; init; }
    public int? ResumedFromStep { get; init; }
    public long Bytes { get; init; }
}

/// <summary>
/// <c>&lt;out&gt;/&lt;experiment&gt;/manifest.json</c>: maps the experiment's stages to store keys (what gc keeps and
/// dry-run compares against) and records provenance: spec file hash and resolved spec, git commit, package
/// versions, device, seeds, per-stage timings and peak memory. Timings and host facts live here only, never in
/// results.json.
/// </summary>
public sealed record RunManifest
{
    public const string FileName = "manifest.json";
    public int FormatVersion { get; init; } = 1;
    public required string Experiment { get; init; }
    public required string SpecFile { get; init; }
    public string? SpecFileSha256 { get; init; }
    public required string ResolvedSpecSha256 { get; init; }
    public required JsonNode ResolvedSpec { get; init; }
    public required int Seed { get; init; }
    public required IReadOnlyList<int> Seeds { get; init; }
    public required string RuntimeVersion { get; init; }
    public string? GitCommit { get; init; }
    public required Dictionary<string, string> Packages { get; init; }
    public required string Device { get; init; }
    public required Dictionary<string, string> Host { get; init; }
    /// <summary>The process that wrote this manifest: host, pid, Slurm job, array job and task ids, and the unit (task index) it ran.</summary>
    public WorkerIdentity? Worker { get; init; }
    public required string StartedUtc { get; init; }
    public double WallSeconds { get; init; }
    public long PeakWorkingSetBytes { get; init; }
    public required IReadOnlyList<ManifestStage> Stages { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static RunManifest? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<RunManifest>(File.ReadAllBytes(path), StageJson.Options); }
        catch (JsonException) { return null; }
    }

    /// <summary>Every manifest under an output root (one per experiment folder).</summary>
    public static IReadOnlyList<(string Path, RunManifest? Manifest)> LoadAll(string outputRoot)
        => Directory.Exists(outputRoot)
            ? Directory.EnumerateDirectories(outputRoot)
                .Where(d => Path.GetFileName(d) != ArtifactStore.StoreFolderName)
                .SelectMany(d => new[] { Path.Combine(d, FileName) }.Concat(CellManifests(d))).Where(File.Exists)
                .Select(p => (p, TryLoad(p))).ToList()
            : [];

    /// <summary>The manifests of experiment-level sweep cells: &lt;experiment&gt;/cells/&lt;cell&gt;/manifest.json.</summary>
    private static IEnumerable<string> CellManifests(string experimentDir)
    {
        string cells = Path.Combine(experimentDir, "cells");
        return Directory.Exists(cells) ? Directory.EnumerateDirectories(cells).Order(StringComparer.Ordinal).Select(c => Path.Combine(c, FileName)) : [];
    }

    public void Save(string path) => AtomicFile.Write(path, s => JsonSerializer.Serialize(s, this, StageJson.Options));
}

/// <summary>Host and build facts for the manifest.</summary>
public static class Provenance
{
    /// <summary>The commit of the enclosing git checkout (worktrees too), read from .git without running git; null outside one.</summary>
    public static string? GitCommit(string? start = null)
    {
        try
        {
            for (var dir = new DirectoryInfo(start ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            {
                string dotGit = Path.Combine(dir.FullName, ".git");
                string? gitDir = Directory.Exists(dotGit) ? dotGit
                    : File.Exists(dotGit) && File.ReadAllText(dotGit).Trim() is var t && t.StartsWith("gitdir:", StringComparison.Ordinal)
                        ? Path.GetFullPath(t["gitdir:".Length..].Trim(), dir.FullName) : null;
                if (gitDir is null) continue;
                string head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
                if (!head.StartsWith("ref:", StringComparison.Ordinal)) return head;
                string refName = head[4..].Trim();
                string common = File.Exists(Path.Combine(gitDir, "commondir"))
                    ? Path.GetFullPath(File.ReadAllText(Path.Combine(gitDir, "commondir")).Trim(), gitDir) : gitDir;
                foreach (var root in new[] { gitDir, common })
                {
                    string loose = Path.Combine(root, refName);
                    if (File.Exists(loose)) return File.ReadAllText(loose).Trim();
                }
                string packed = Path.Combine(common, "packed-refs");
                if (File.Exists(packed))
                    foreach (var line in File.ReadLines(packed))
                        if (line.EndsWith(" " + refName, StringComparison.Ordinal)) return line[..line.IndexOf(' ')];
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
        return null;
    }

    /// <summary>NuGet packages of the running application (from its deps.json), name -> version.</summary>
    public static Dictionary<string, string> Packages()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            string? deps = AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string;
            var files = (deps ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
            if (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name is { } entry)
                files.Add(Path.Combine(AppContext.BaseDirectory, entry + ".deps.json"));
            foreach (var file in files.Distinct())
            {
                if (!File.Exists(file)) continue;
                var libs = JsonNode.Parse(File.ReadAllText(file))?["libraries"]?.AsObject();
                if (libs is null) continue;
                foreach (var (name, lib) in libs)
                    if (lib?["type"]?.GetValue<string>() == "package" && name.IndexOf('/') is var slash and > 0)
                        result[name[..slash]] = name[(slash + 1)..];
            }
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException) { }
        // Loaded assemblies fill gaps (a test host's deps.json does not list the app's packages).
        foreach (var asm in AppDomain.CurrentDomain.GetAssemblies())
        {
            string? name = asm.GetName().Name;
            if (name is null || result.ContainsKey(name) || asm.IsDynamic || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft", StringComparison.Ordinal)
                || name is "mscorlib" or "netstandard" || name.StartsWith("xunit", StringComparison.Ordinal)) continue;
            string? version = asm.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion?.Split('+')[0];
            result[name] = version ?? asm.GetName().Version?.ToString() ?? "?";
        }
        result[".NET"] = Environment.Version.ToString();
        return new Dictionary<string, string>(result);
    }

    /// <summary>The host facts a run's bytes can depend on (CPU and kernels) beside where it ran.</summary>
    public static Dictionary<string, string> Host() => new()
    {
        ["os"] = RuntimeInformation.OSDescription,
        ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
        ["processors"] = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["machine"] = Environment.MachineName,
        ["cpu"] = CpuKernels.CpuModel() ?? "unknown",
        ["cpu_avx512"] = CpuKernels.HasAvx512() switch { true => "yes", false => "no", null => "unknown" },
        ["cpu_kernels"] = CpuKernels.Current.Description,
        ["torch_threads"] = torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Peak resident memory of this process so far (Linux VmHWM), in bytes.</summary>
    public static long PeakWorkingSet()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.PeakWorkingSet64;
    }
}
