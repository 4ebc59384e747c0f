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
        var spec = device is { } d ? experiment.Spec with { Device = d } : experiment.Spec;
        try
        {
            var options = new RunOptions { OutputRoot = outRoot };
            var plan = StagedExperimentRunner.Plan(spec, options);
            Console.WriteLine($"Dry run of '{spec.Name}' (store {ArtifactStore.ForOutputRoot(StagedExperimentRunner.OutputRoot(spec, options)).Root}):");
            Console.WriteLine($"  {"stage",-24} {"action",-7} {"key",-12}  reason");
            foreach (var s in plan)
                Console.WriteLine($"  {s.Id,-24} {(s.WillRun ? "run" : "skip"),-7} {s.Key[..12]}  {s.Reason}");
            int runs = plan.Count(s => s.WillRun);
            Console.WriteLine(runs == 0 ? "Nothing to do: every stage is stored and verified." : $"{runs} of {plan.Count} stages would run.");
            return Commands.Ok;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
    }
}
