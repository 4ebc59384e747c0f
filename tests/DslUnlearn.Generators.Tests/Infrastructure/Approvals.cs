using System.Text;

namespace DslUnlearn.Generators.Tests.Infrastructure;

/// <summary>
/// Approved-file snapshots. On a mismatch or a missing approved file, writes <c>&lt;name&gt;.received</c> beside
/// <c>&lt;name&gt;.approved</c> and fails. <c>DSLU_ACCEPT_SNAPSHOTS=1</c> overwrites the approved file instead, except
/// when <c>CI</c> is set: on CI a missing or different snapshot always fails.
/// </summary>
internal static class Approvals
{
    public const string AcceptVariable = "DSLU_ACCEPT_SNAPSHOTS";

    public static void Verify(string actual, string approvedPath) => Verify(actual, approvedPath, Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="Verify(string, string)"/>, reading environment variables through <paramref name="environment"/>.</summary>
    public static void Verify(string actual, string approvedPath, Func<string, string?> environment)
    {
        actual = Normalize(actual);
        var receivedPath = ReceivedPathFor(approvedPath);
        var exists = File.Exists(approvedPath);
        if (exists && Normalize(File.ReadAllText(approvedPath)) == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        var onCi = !string.IsNullOrEmpty(environment("CI"));
        var accept = environment(AcceptVariable) == "1" && !onCi;
        if (accept)
        {
            File.WriteAllText(approvedPath, actual, new UTF8Encoding(false));
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual, new UTF8Encoding(false));
        var what = exists ? $"differs from the approved snapshot{FirstDifference(Normalize(File.ReadAllText(approvedPath)), actual)}" : "has no approved snapshot yet";
        var how = onCi
            ? "CI is set, so snapshots cannot be accepted here: accept them locally and commit the .approved file."
            : $"Review it, then accept with `{AcceptVariable}=1 dotnet test tests/DslUnlearn.Generators.Tests` (or copy the .received file over the .approved one).";
        Assert.Fail($"Generated source {what}.\n  received: {receivedPath}\n  approved: {approvedPath}\n{how}");
    }

    public static string ReceivedPathFor(string approvedPath)
        => approvedPath.EndsWith(".approved", StringComparison.Ordinal)
            ? approvedPath.Substring(0, approvedPath.Length - ".approved".Length) + ".received"
            : approvedPath + ".received";

    private static string Normalize(string s) => s.Replace("\r\n", "\n").TrimStart('\uFEFF');

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end of file>";
            var al = i < a.Length ? a[i] : "<end of file>";
            if (el != al)
            {
                return $" at line {i + 1}:\n  approved: {el}\n  received: {al}";
            }
        }

        return string.Empty;
    }
}
