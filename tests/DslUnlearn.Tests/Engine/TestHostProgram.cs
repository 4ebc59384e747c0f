using DslUnlearn.Progress;

namespace DslUnlearn.Tests.Engine;

/// <summary>
/// Entry point of the test assembly. `dotnet test` never calls it (the test host loads the assembly); the
/// engine tests start <c>dotnet DslUnlearn.Tests.dll engine-child &lt;scenario&gt; &lt;root&gt; [checkpoint-every]</c>
/// to get a real child process they can SIGKILL, without another project that copies libtorch.
/// </summary>
public static class TestHostProgram
{
    public static int Main(string[] args)
    {
        if (args.Length is < 3 or > 4 || args[0] != "engine-child")
        {
            Console.Error.WriteLine("DslUnlearn.Tests is a test assembly: run it with `dotnet test`. (Internal: engine-child <scenario> <root> [checkpoint-every].)");
            return 2;
        }
        var spec = EngineScenarios.Get(args[1], args[2]);
        int every = args.Length == 4 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : EngineScenarios.CheckpointEvery;
        var result = StagedExperimentRunner.Run(spec, new RunOptions { CheckpointEvery = every, Progress = new LineProgress() });
        Console.WriteLine("EXECUTED: " + string.Join(",", result.Executed));
        return 0;
    }

    private sealed class LineProgress : IProgressSink
    {
        public void StageStarted(string stage, int total) => Console.WriteLine($"[{stage}] started");
        public void StageAdvanced(string stage, int done, string? detail = null) => Console.WriteLine($"[{stage}] {done} {detail}");
        public void StageFinished(string stage, string? summary = null) => Console.WriteLine($"[{stage}] done");
        public void Message(string text) => Console.WriteLine(text);
    }
}
