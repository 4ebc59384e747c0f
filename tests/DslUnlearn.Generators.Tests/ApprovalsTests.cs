using Xunit.Sdk;

namespace DslUnlearn.Generators.Tests;

/// <summary>The approved-file helper itself (environment passed in, so these run safely in parallel).</summary>
public sealed class ApprovalsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dslu-approvals-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Approved => Path.Combine(_dir, "x.g.cs.approved");

    private string Received => Path.Combine(_dir, "x.g.cs.received");

    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
        => key => vars.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Missing_snapshot_fails_and_writes_received()
    {
        var ex = Assert.ThrowsAny<XunitException>(() => Approvals.Verify("code\n", Approved, Env()));
        Assert.Contains("has no approved snapshot yet", ex.Message);
        Assert.Contains("DSLU_ACCEPT_SNAPSHOTS=1", ex.Message);
        Assert.Equal("code\n", File.ReadAllText(Received));
        Assert.False(File.Exists(Approved));
    }

    [Fact]
    public void Accept_writes_the_approved_file_and_passes()
    {
        File.WriteAllText(Received, "stale");
        Approvals.Verify("code\n", Approved, Env(("DSLU_ACCEPT_SNAPSHOTS", "1")));
        Assert.Equal("code\n", File.ReadAllText(Approved));
        Assert.False(File.Exists(Received));
    }

    [Fact]
    public void On_CI_a_missing_snapshot_always_fails_even_with_accept()
    {
        var ex = Assert.ThrowsAny<XunitException>(() =>
            Approvals.Verify("code\n", Approved, Env(("DSLU_ACCEPT_SNAPSHOTS", "1"), ("CI", "true"))));
        Assert.Contains("CI is set", ex.Message);
        Assert.False(File.Exists(Approved));
    }

    [Fact]
    public void Mismatch_names_the_first_different_line_and_match_cleans_up()
    {
        File.WriteAllText(Approved, "a\nb\n");
        var ex = Assert.ThrowsAny<XunitException>(() => Approvals.Verify("a\nc\n", Approved, Env()));
        Assert.Contains("at line 2", ex.Message);
        Assert.True(File.Exists(Received));

        Approvals.Verify("a\r\nb\r\n", Approved, Env());
        Assert.False(File.Exists(Received));
    }
}
