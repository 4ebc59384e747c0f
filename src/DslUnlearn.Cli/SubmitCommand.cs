using DslUnlearn.Engine.Slurm;
using DslUnlearn.Engine.Workers;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Cli;

/// <summary>`dslunlearn submit &lt;experiment&gt; --slurm ...`: the experiment as a Slurm job array plus an aggregation job (see SlurmSubmission).</summary>
internal static class SubmitCommand
{
    public static Command Build()
    {
        var name = Commands.ExperimentArgument();
        var slurm = new Option<bool>("--slurm") { Description = "Submit to Slurm (sbatch): one array task per unit of work, then an aggregation job that runs `report`." };
        var outRoot = new Option<string?>("--out") { Description = "Output root and store, on a filesystem every node shares (default: the spec's report.out)." };
        var device = new Option<DeviceKind?>("--device") { Description = "Override the spec's device in every task: auto, cpu or cuda." };
        var partition = new Option<string?>("--partition") { Description = "sbatch --partition." };
        var time = new Option<string?>("--time") { Description = "sbatch --time per task, HH:MM:SS." };
        var cpus = new Option<int?>("--cpus-per-task") { Description = "sbatch --cpus-per-task; each task runs torch with that many threads." };
        var mem = new Option<string?>("--mem") { Description = "sbatch --mem per task, e.g. 16G." };
        var gres = new Option<string?>("--gres") { Description = "sbatch --gres per task, e.g. gpu:1." };
        var arrayLimit = new Option<int?>("--array-limit") { Description = "At most K array tasks at once (--array=0-N%K)." };
        var sbatchArg = new Option<string[]>("--sbatch-arg") { Description = "Another sbatch option for the scripts, e.g. --sbatch-arg=--requeue (repeatable).", AllowMultipleArgumentsPerToken = false };
        var wait = new Option<bool>("--wait") { Description = "Poll squeue until every job is done; exit 0 only if every task and the aggregation succeeded, else name the failed tasks and their logs." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the scripts and the task -> work mapping; submit nothing." };
        var submit = new Command("submit", "Run an experiment on a cluster: writes batch scripts under <out>/<experiment>/slurm/, submits a job array (one task per sweep cell or unlearn entry) and an aggregation job, prints the job ids.")
        {
            name, slurm, outRoot, device, partition, time, cpus, mem, gres, arrayLimit, sbatchArg, wait, dryRun,
        };
        submit.SetAction(parse =>
        {
            if (!parse.GetValue(slurm)) return Commands.UsageError("submit needs a scheduler: --slurm (the only one supported).");
            if (parse.GetValue(arrayLimit) is < 1) return Commands.UsageError("--array-limit must be at least 1.");
            if (parse.GetValue(cpus) is < 1) return Commands.UsageError("--cpus-per-task must be at least 1.");
            var options = new SlurmOptions
            {
                Partition = parse.GetValue(partition), Time = parse.GetValue(time), CpusPerTask = parse.GetValue(cpus), Mem = parse.GetValue(mem),
                Gres = parse.GetValue(gres), ArrayLimit = parse.GetValue(arrayLimit), SbatchArgs = parse.GetValue(sbatchArg) ?? [],
            };
            return Run(parse.GetValue(name)!, parse.GetValue(outRoot), parse.GetValue(device), options, parse.GetValue(wait), parse.GetValue(dryRun));
        });
        return submit;
    }

    private static int Run(string name, string? outRoot, DeviceKind? device, SlurmOptions slurm, bool wait, bool dryRun)
    {
        var experiment = Commands.FindOrComplain(name);
        if (experiment is null) return Commands.Usage;
        var cells = experiment.Cells.Select(c => device is { } d ? c with { Device = d } : c).ToList();
        try
        {
            var options = new RunOptions { OutputRoot = outRoot };
            string root = StagedExperimentRunner.OutputRoot(cells[0], options);
            string experimentDir = Path.Combine(root, cells[0].Name);
            var units = WorkUnits.Of(cells, options);
            // Tasks get the absolute output root, so they write to the same store whatever their working directory.
            var pass = new List<string> { "--out", root };
            if (device is { } dev) pass.AddRange(["--device", dev.ToString().ToLowerInvariant()]);
            var plan = SlurmSubmission.Prepare(name, experimentDir, units, slurm, ScaleOutRun.SelfCommand(), pass, Directory.GetCurrentDirectory());

            Console.WriteLine($"{units.Count} task(s) for '{name}' (store {ArtifactStore.ForOutputRoot(root).Root}):");
            foreach (var u in units) Console.WriteLine($"  task {u.Index,-3} {u.Describe()}");
            if (dryRun)
            {
                Console.WriteLine();
                Console.WriteLine($"==> {plan.ArrayScript}");
                Console.Write(File.ReadAllText(plan.ArrayScript));
                Console.WriteLine($"==> {plan.AggregateScript} (sbatch --dependency=afterok:<array job> --kill-on-invalid-dep=yes)");
                Console.Write(File.ReadAllText(plan.AggregateScript));
                Console.WriteLine($"Dry run: scripts and {plan.TasksFile} written; nothing submitted.");
                return Commands.Ok;
            }

            var record = SlurmSubmission.Submit(name, plan);
            Console.WriteLine($"Submitted job array {record.ArrayJobId} ({record.Tasks} task(s), logs {Path.Combine(plan.Directory, "logs")}/{record.ArrayJobId}_<task>.out) " +
                $"and aggregation job {record.AggregateJobId} (afterok:{record.ArrayJobId}).");
            if (!wait)
            {
                Console.WriteLine($"Follow it with `dslunlearn status {name}`{(outRoot is null ? "" : $" --out {outRoot}")} or squeue -j {record.ArrayJobId},{record.AggregateJobId}.");
                return Commands.Ok;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            SlurmSubmission.WaitUntilDone(record, line => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {line}"));
            var outcomes = SlurmSubmission.Outcomes(record, experimentDir);
            foreach (var o in outcomes) Console.WriteLine($"  {(o.Ok ? "ok    " : "FAILED")} {o.Name}: {o.Detail}{(o.Ok ? "" : $"; log: {o.Log}")}");
            foreach (var o in outcomes.Where(o => !o.Ok && File.Exists(o.Log)))
            {
                Console.WriteLine($"--- last lines of {o.Log}");
                foreach (var line in File.ReadLines(o.Log).TakeLast(15)) Console.WriteLine("  | " + line);
            }
            var failed = outcomes.Where(o => !o.Ok).ToList();
            if (failed.Count == 0)
            {
                Console.WriteLine($"All {record.Tasks} task(s) and the aggregation succeeded in {clock.Elapsed.TotalSeconds:F1} s. Results: {Path.Combine(experimentDir, "results.json")}");
                return Commands.Ok;
            }
            Console.Error.WriteLine($"error: {failed.Count} job(s) failed: {string.Join(", ", failed.Select(f => f.Name))}. Logs: {string.Join(", ", failed.Select(f => f.Log))}. " +
                "Submit again to run only the missing stages.");
            return Commands.Failed;
        }
        catch (Exception e) when (Commands.IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
    }
}
