using System.Diagnostics;

namespace DslUnlearn.Engine;

/// <summary>
/// Opt-in timing of the evaluation paths (<c>DSLUNLEARN_PROFILE=1</c>): one line per metric and split, attack and model
/// load on standard error, with wall and process CPU milliseconds, so a budget can be split by where the time goes
/// (docs/benchmarks.md, "paper-metric-robustness budget"). Off, it costs one environment read per pass.
/// </summary>
public static class EvaluationProfile
{
    public const string Variable = "DSLUNLEARN_PROFILE";

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Runs <paramref name="work"/> and, when profiling, prints "profile &lt;what&gt; wall_ms cpu_ms".</summary>
    public static T Measure<T>(string what, Func<T> work)
    {
        if (!Enabled) return work();
        var wall = Stopwatch.StartNew();
        var cpu = Environment.CpuUsage.TotalTime;
        var result = work();
        Console.Error.WriteLine($"profile {what} wall_ms={wall.Elapsed.TotalMilliseconds:F1} cpu_ms={(Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds:F1}");
        return result;
    }
}
