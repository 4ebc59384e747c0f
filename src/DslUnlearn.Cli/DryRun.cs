using DslUnlearn.Engine;
using DslUnlearn.Pipeline;
using DslUnlearn.Specs;

namespace DslUnlearn.Cli;

/// <summary>`dslunlearn run &lt;experiment&gt; --dry-run`: the plan, stage by stage, with the reason each one would run.</summary>
internal static class DryRun
{
    public static int Print(string name, string? outRoot, DeviceKind? device)
    {
        var experiment = Commands.FindOrComplain(name);
        if (experiment is null) return Commands.Usage;
        var cells = experiment.Cells.Select(c => device is { } d ? c with { Device = d } : c).ToList();
        try
        {
            var options = new RunOptions { OutputRoot = outRoot };
            if (cells.Count > 1 || cells[0].Cell is not null)
            {
                Console.WriteLine($"'{cells[0].Name}' sweeps at the experiment level: {cells.Count} cell(s), each run into {Path.Combine(StagedExperimentRunner.OutputRoot(cells[0], options), cells[0].Name, "cells")}/<cell>/:");
                foreach (var c in cells) Console.WriteLine($"  {c.Cell}");
            }
            int total = 0, willRun = 0;
            foreach (var spec in cells)
            {
                var plan = StagedExperimentRunner.Plan(spec, options);
                Console.WriteLine($"Dry run of '{spec.Name}'{(spec.Cell is null ? "" : $" cell {spec.Cell}")} (store {ArtifactStore.ForOutputRoot(StagedExperimentRunner.OutputRoot(spec, options)).Root}):");
                Console.WriteLine($"  {"stage",-24} {"action",-7} {"key",-12}  reason");
                foreach (var s in plan)
                    Console.WriteLine($"  {s.Id,-24} {(s.WillRun ? "run" : "skip"),-7} {s.Key[..12]}  {s.Reason}");
                total += plan.Count;
                willRun += plan.Count(s => s.WillRun);
            }
            Console.WriteLine(willRun == 0 ? "Nothing to do: every stage is stored and verified." : $"{willRun} of {total} stages would run.");
            return Commands.Ok;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
    }
}
