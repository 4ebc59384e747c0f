using System.Diagnostics;

namespace DslUnlearn.Tests.ScaleOut;

/// <summary>Starts the real command line (dslunlearn.dll, copied beside the tests) as a user would, with one torch thread.</summary>
internal static class ScaleOutCli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "dslunlearn.dll");

    public static (int Exit, string Output) Run(params string[] args) => RunIn(RepoRoot(), 600, args);

    public static (int Exit, string Output) RunIn(string workDir, int timeoutSeconds, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // One thread per process on this 2-core machine (libgomp busy-waits otherwise); Slurm tasks inherit this.
        psi.Environment["OMP_NUM_THREADS"] = "1";
        psi.Environment["OMP_WAIT_POLICY"] = "passive";
        psi.Environment.Remove(DslUnlearn.Engine.CrashPoints.Variable);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"dslunlearn {string.Join(' ', args)} did not finish in {timeoutSeconds} s:\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The checkout (the folder with DslUnlearn.sln), where experiments' relative paths resolve.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DslUnlearn.sln"))) return d.FullName;
        throw new InvalidOperationException($"no DslUnlearn.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Every results.json under an experiment folder (the aggregate and each cell's), relative path -> bytes.</summary>
    public static SortedDictionary<string, byte[]> Results(string experimentDir)
        => new(Directory.EnumerateFiles(experimentDir, "results.json", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(experimentDir, f), File.ReadAllBytes), StringComparer.Ordinal);

    public static void AssertSameResults(string expectedDir, string actualDir)
    {
        var expected = Results(expectedDir);
        var actual = Results(actualDir);
        Assert.Equal(4, expected.Count); // the aggregate and three cells
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (file, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"{file} differs between {expectedDir} and {actualDir}");
    }
}

/// <summary>One local sequential `dslunlearn run tiny-cells`: the bytes every scale-out run must reproduce.</summary>
public sealed class TinyCellsReference : IDisposable
{
    private readonly Support.TempDir _dir = new();

    public TinyCellsReference()
    {
        var (exit, output) = ScaleOutCli.Run("run", "tiny-cells", "--out", _dir.Path);
        if (exit != 0) throw new InvalidOperationException($"the reference run failed ({exit}):\n{output}");
        ExperimentDir = Path.Combine(_dir.Path, "tiny-cells");
    }

    public string ExperimentDir { get; }
    public void Dispose() => _dir.Dispose();
}
