using System.Diagnostics;

namespace DslUnlearn.Engine;

/// <summary>
/// Test-only fault injection: when the environment variable <c>DSLUNLEARN_CRASH_AT</c> names a point that the
/// engine reaches, the process kills itself with SIGKILL right there (no finally blocks, no flushing), so
/// the resume tests hit exact places such as "half of a file written" or "step 7 of an epoch done".
/// Unset (the normal case) it costs one string comparison per point.
/// Point names: <c>step:&lt;stage id&gt;:&lt;n&gt;</c> (after training step n), <c>write:&lt;stage id&gt;:&lt;file&gt;</c>
/// (half of the file written), <c>commit:&lt;stage id&gt;</c> (all files written, before the rename),
/// <c>checkpoint:&lt;stage id&gt;</c> (half of a checkpoint written), <c>publish</c> (between published files).
/// </summary>
public static class CrashPoints
{
    public const string Variable = "DSLUNLEARN_CRASH_AT";
    private static readonly string? Target = Environment.GetEnvironmentVariable(Variable);

    public static bool Armed => Target is not null;

    public static void Hit(string point)
    {
        if (Target is null || !string.Equals(Target, point, StringComparison.Ordinal)) return;
        Console.Out.Flush();
        Console.Error.WriteLine($"[crash-point] {point}: SIGKILL");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill(); // SIGKILL on Unix
        Thread.Sleep(Timeout.Infinite);
    }
}
