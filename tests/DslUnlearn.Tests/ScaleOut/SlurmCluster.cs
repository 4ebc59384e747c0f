using System.Diagnostics;

namespace DslUnlearn.Tests.ScaleOut;

/// <summary>
/// A real one-node Slurm cluster, started once per test run by tests/support/slurm/start-slurm.sh (idempotent: it
/// installs the packages as root when missing and reuses a cluster that is already up). When Slurm cannot be
/// installed here (not root, no apt-get: exit 3) the Slurm tests skip and say why; when it was installed but did not
/// come up, they fail with the script's output.
/// </summary>
public sealed class SlurmCluster
{
    public SlurmCluster()
    {
        string script = Path.Combine(ScaleOutCli.RepoRoot(), "tests", "support", "slurm", "start-slurm.sh");
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            Failure = "start-slurm.sh did not finish in 300 s";
            return;
        }
        p.WaitForExit();
        Log = stdout.Result + stderr.Result;
        if (p.ExitCode == 3) SkipReason = "Slurm cannot be installed or started here: " + Log.Trim();
        else if (p.ExitCode != 0) Failure = $"start-slurm.sh exited with {p.ExitCode}:\n{Log}";
    }

    public string Log { get; } = "";
    /// <summary>Set when this machine cannot have Slurm (the tests skip with it).</summary>
    public string? SkipReason { get; }
    /// <summary>Set when Slurm is there but would not start (the tests fail with it).</summary>
    public string? Failure { get; }

    /// <summary>Skips the test when Slurm cannot exist here; fails it when the cluster broke.</summary>
    public void Require()
    {
        Skip.If(SkipReason is not null, SkipReason);
        Assert.True(Failure is null, Failure);
    }
}

[CollectionDefinition(Name)]
public sealed class SlurmCollection : ICollectionFixture<SlurmCluster>, ICollectionFixture<TinyCellsReference>
{
    public const string Name = "slurm";
}
