namespace DslUnlearn.Cli;

/// <summary>`dslunlearn bench-e2e`: cold end-to-end run, no-op re-run and report-only time of an experiment, as JSON.</summary>
internal static class BenchE2eCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("experiment") { Description = "Experiment to measure.", DefaultValueFactory = _ => "quickstart" };
        var output = new Option<string>("--json") { Description = "Where to write the JSON result.", DefaultValueFactory = _ => "bench/e2e.json" };
        var bench = new Command("bench-e2e", "Measure an experiment end to end: cold run (empty store), no-op re-run (everything cached), report rebuild; wall times and peak memory to JSON.")
        {
            name, output,
        };
        bench.SetAction(parse => Run(parse.GetValue(name)!, parse.GetValue(output)!));
        return bench;
    }

    private static int Run(string name, string json)
    {
        var experiment = Commands.FindOrComplain(name);
        if (experiment is null) return Commands.Usage;
        string scratch = Path.Combine(Path.GetTempPath(), $"dslunlearn-bench-{Environment.ProcessId}");
        try
        {
            var r = EndToEndBench.Measure(experiment.Spec, scratch, new PlainProgress(Console.Out));
            EndToEndBench.Save(r, json);
            Console.WriteLine();
            Console.WriteLine($"{r.Experiment} on {r.Device} ({r.Processors} cores): cold run {r.ColdRunSeconds:F1} s ({r.ColdRunStagesExecuted} stages), " +
                              $"no-op re-run {r.NoOpRerunSeconds:F2} s ({r.NoOpRerunStagesExecuted} stages; goal < {r.NoOpGoalSeconds} s), " +
                              $"report only {r.ReportOnlySeconds:F2} s, peak memory {r.PeakWorkingSetBytes / 1048576.0:F0} MiB. Wrote {json}.");
            return Commands.Ok;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
    }
}
