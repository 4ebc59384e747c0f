using System.Diagnostics;

namespace DslUnlearn.Tests.Engine;

/// <summary>The tiny specs the engine tests run, by name, so a child process can build the same spec.</summary>
internal static class EngineScenarios
{
    /// <summary>Fine-tuning has 3 batches per epoch; checkpoints every 2 steps so some land mid-epoch.</summary>
    public const int CheckpointEvery = 2;

    /// <summary>The run options every engine test runs the tiny specs with.</summary>
    public static readonly RunOptions Options = new() { CheckpointEvery = CheckpointEvery };

    public static ExperimentSpec Get(string name, string root)
    {
        var tiny = TestSpecs.Tiny(root, epochs: 4) with { Name = "engine-tiny" };
        return name switch
        {
            "tiny" => tiny,
            // One hyper-parameter of one method changed.
            "tiny-gd-lr" => tiny with { Unlearn = [tiny.Unlearn[0], tiny.Unlearn[1] with { Method = new DslUnlearn.Methods.GradientDifference(new DslUnlearn.Methods.GdOptions { Lr = 2e-3, Steps = 4, BatchSize = 4, RetainWeight = 1 }) }] },
            _ => throw new ArgumentException($"Unknown engine scenario '{name}'."),
        };
    }

    /// <summary>Starts this test assembly as a child run (see <see cref="TestHostProgram"/>).</summary>
    public static Process StartChild(string scenario, string root, string? crashAt = null, int? threads = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(typeof(TestHostProgram).Assembly.Location);
        psi.ArgumentList.Add("engine-child");
        psi.ArgumentList.Add(scenario);
        psi.ArgumentList.Add(root);
        if (crashAt is not null) psi.Environment[DslUnlearn.Engine.CrashPoints.Variable] = crashAt;
        else psi.Environment.Remove(DslUnlearn.Engine.CrashPoints.Variable);
        if (threads is { } t) psi.Environment["OMP_NUM_THREADS"] = t.ToString(System.Globalization.CultureInfo.InvariantCulture); // children that run at once share the cores
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start the child run");
    }

    /// <summary>Runs a child to its end; returns exit code, stdout and stderr.</summary>
    public static (int Exit, string Out, string Err) RunChild(string scenario, string root, string? crashAt = null, int timeoutSeconds = 240)
    {
        using var p = StartChild(scenario, root, crashAt);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"child run '{scenario}' did not finish in {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string[] ExecutedIn(string stdout)
        => stdout.Split('\n').Where(l => l.StartsWith("EXECUTED: ", StringComparison.Ordinal))
            .SelectMany(l => l["EXECUTED: ".Length..].Trim().Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
}

/// <summary>The engine tests share torch's global RNG and seed it per stage, so they never run beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineCollection : ICollectionFixture<TinyReference>
{
    public const string Name = "engine (serial)";
}

/// <summary>One uninterrupted in-process run of the "tiny" scenario: the bytes every other run must reproduce.</summary>
public sealed class TinyReference : IDisposable
{
    private readonly TempDir _dir = new();

    public TinyReference()
    {
        Result = DslUnlearn.Engine.StagedExperimentRunner.Run(EngineScenarios.Get("tiny", _dir.Path),
            EngineScenarios.Options);
        ResultsJson = File.ReadAllBytes(Result.Result.ResultsJsonPath);
        Root = _dir.Path;
    }

    public DslUnlearn.Engine.StagedRunResult Result { get; }
    public byte[] ResultsJson { get; }
    /// <summary>Read-only for tests: its store holds every stage of "tiny".</summary>
    public string Root { get; }

    public void Dispose() => _dir.Dispose();
}
