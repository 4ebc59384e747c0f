using DslUnlearn.Pipeline;

namespace DslUnlearn.Cli;

/// <summary>`dslunlearn report &lt;experiment&gt;`: rebuilds results.json, tables and plots from stored artifacts only.</summary>
internal static class ReportCommand
{
    public static Command Build() => Commands.ForExperiment("report",
        "Rebuild results.json, summary tables (Markdown, CSV, LaTeX) and plots (PNG, SVG) from the stored artifacts, without training or evaluating.",
        "Output root the experiment was run with (default: the spec's report.out).", Run);

    private static int Run(IExperiment experiment, string? outRoot)
    {
        if (experiment.Cells is { Count: > 1 } or [{ Cell: not null }])
        {
            // Experiment-level sweep: every cell's report, then the aggregate.
            var all = ExperimentCells.Report(experiment.Cells, new RunOptions { OutputRoot = outRoot, Progress = new PlainProgress(Console.Out) });
            Console.WriteLine();
            Console.WriteLine(File.ReadAllText(all.Result.SummaryPath));
            return Commands.Ok;
        }
        var result = StagedExperimentRunner.Report(experiment.Spec, new RunOptions { OutputRoot = outRoot, Progress = new PlainProgress(Console.Out) });
        Console.WriteLine();
        Console.WriteLine(File.ReadAllText(Path.Combine(result.Result.OutputDirectory, "tables", "summary.md")));
        Console.WriteLine($"Report files in {result.Result.OutputDirectory}: {string.Join(", ", result.Manifest.Outputs)}");
        return Commands.Ok;
    }
}
