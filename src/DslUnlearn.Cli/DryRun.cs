using DslUnlearn.Specs.Vocabulary;

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
            for (int c = 0; c < cells.Count; c++)
            {
                var spec = cells[c];
                var plan = StagedExperimentRunner.Plan(spec, options);
                WarnIfNotThePlan(experiment.Plans[c], plan);
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
        catch (Exception e) when (Commands.IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
    }

    /// <summary>
    /// The stages built here are those of the compiled static plan (<c>Plans</c>, docs/engine-and-artifacts.md, "The stage
    /// plan"); tests hold the two together, so a difference means the experiments were compiled by another generator.
    /// </summary>
    private static void WarnIfNotThePlan(StaticPlan compiled, IReadOnlyList<StagePlan> built)
    {
        var planned = compiled.Stages.Select(s => $"{s.Id} ({s.Kind})").ToList();
        var now = built.Select(s => $"{s.Id} ({s.Kind})").ToList();
        if (planned.SequenceEqual(now)) return;
        var first = planned.Zip(now).Select((p, i) => (p, i)).FirstOrDefault(x => x.p.First != x.p.Second);
        Console.Error.WriteLine($"warning: the compiled static plan lists {planned.Count} stages and this run builds {now.Count}" +
            (first.p.First is null ? "" : $" (stage {first.i + 1}: planned {first.p.First}, built {first.p.Second})") +
            "; rebuild experiments/ (dotnet build) so the generated code matches the runtime.");
    }
}
