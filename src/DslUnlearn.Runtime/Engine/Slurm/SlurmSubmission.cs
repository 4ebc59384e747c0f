using System.Diagnostics;
using DslUnlearn.Engine.Workers;
using DslUnlearn.IO;

namespace DslUnlearn.Engine.Slurm;

/// <summary>The scheduler settings of `dslunlearn submit --slurm` (each null one is left to the cluster's defaults).</summary>
public sealed record SlurmOptions
{
    public string? Partition { get; init; }
    public string? Time { get; init; }
    public int? CpusPerTask { get; init; }
    public string? Mem { get; init; }
    public string? Gres { get; init; }
    public int? ArrayLimit { get; init; }
    public IReadOnlyList<string> SbatchArgs { get; init; } = [];
}

/// <summary>What a submit did: <c>&lt;out&gt;/&lt;experiment&gt;/slurm/submit.json</c> (read by `status` and `submit --wait`).</summary>
public sealed record SubmitRecord
{
    public const string FileName = "submit.json";
    public required string Experiment { get; init; }
    public required string SubmittedUtc { get; init; }
    public required string ArrayJobId { get; init; }
    public required string AggregateJobId { get; init; }
    public required int Tasks { get; init; }
    /// <summary>Task index -> unit id.</summary>
    public required IReadOnlyList<string> Units { get; init; }
    public required string SlurmDirectory { get; init; }

    public string TaskLog(int task) => Path.Combine(SlurmDirectory, "logs", $"{ArrayJobId}_{task}.out");
    public string AggregateLog => Path.Combine(SlurmDirectory, "logs", $"aggregate_{AggregateJobId}.out");
    public string TaskExitFile(int task) => Path.Combine(SlurmDirectory, "exit", $"{ArrayJobId}_{task}");
    public string AggregateExitFile => Path.Combine(SlurmDirectory, "exit", $"aggregate_{AggregateJobId}");

    public static SubmitRecord? TryLoad(string slurmDirectory)
    {
        try { return JsonSerializer.Deserialize<SubmitRecord>(File.ReadAllBytes(Path.Combine(slurmDirectory, FileName)), StageJson.Options); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    public void Save() => AtomicFile.Write(Path.Combine(SlurmDirectory, FileName), s => JsonSerializer.Serialize(s, this, StageJson.Options));
}

/// <summary>The batch scripts of one submit and the task -> unit mapping.</summary>
public sealed record SlurmPlan(string Directory, string ArrayScript, string AggregateScript, string TasksFile, IReadOnlyList<WorkUnit> Units,
    IReadOnlyList<string> ArraySbatch, IReadOnlyList<string> AggregateSbatch);

/// <summary>How one task (or the aggregation) ended, as `submit --wait` reports it.</summary>
public sealed record TaskOutcome(string Name, bool Ok, string Detail, string Log);

/// <summary>
/// `dslunlearn submit &lt;experiment&gt; --slurm`: one job array with a task per unit of work
/// (<see cref="WorkUnits"/>), each running <c>dslunlearn run &lt;experiment&gt; --task $SLURM_ARRAY_TASK_ID --of N</c>, and one
/// aggregation job (<c>--dependency=afterok:&lt;array&gt;</c>) running <c>dslunlearn report</c>. Scripts, logs and exit codes
/// live under <c>&lt;out&gt;/&lt;experiment&gt;/slurm/</c>; each task's script records its exit code there, so `--wait` can name
/// failed tasks without Slurm accounting (sacct).
/// </summary>
public static class SlurmSubmission
{
    /// <summary>Writes the scripts (nothing is submitted).</summary>
    /// <param name="self">How to start this dslunlearn (absolute paths; compute nodes must see the same files).</param>
    /// <param name="passThrough">Options every task passes on to `run` and `report` (e.g. --out ROOT, --device cpu).</param>
    public static SlurmPlan Prepare(string experiment, string experimentDir, IReadOnlyList<WorkUnit> units, SlurmOptions options,
        IReadOnlyList<string> self, IReadOnlyList<string> passThrough, string workingDirectory)
    {
        if (units.Count == 0) throw new ArgumentException($"'{experiment}' has no unit of work to submit.");
        string dir = Path.Combine(experimentDir, "slurm");
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "logs"));
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "exit"));
        string cmd = string.Join(' ', self.Select(Quote));
        string pass = string.Concat(passThrough.Select(a => " " + Quote(a)));
        string exitDir = Path.Combine(dir, "exit");

        var common = new List<string> { $"--chdir={workingDirectory}" };
        if (options.Partition is { } p) common.Add($"--partition={p}");
        if (options.Time is { } t) common.Add($"--time={t}");
        if (options.Mem is { } m) common.Add($"--mem={m}");

        var array = new List<string> { $"--job-name=dslu-{experiment}", $"--array=0-{units.Count - 1}" + (options.ArrayLimit is { } k ? $"%{k}" : ""),
            $"--output={Path.Combine(dir, "logs", "%A_%a.out")}" };
        array.AddRange(common);
        if (options.CpusPerTask is { } c) array.Add($"--cpus-per-task={c}");
        if (options.Gres is { } g) array.Add($"--gres={g}");
        array.AddRange(options.SbatchArgs);

        var aggregate = new List<string> { $"--job-name=dslu-{experiment}-report", $"--output={Path.Combine(dir, "logs", "aggregate_%j.out")}", "--cpus-per-task=1" };
        aggregate.AddRange(common);
        aggregate.AddRange(options.SbatchArgs.Where(a => !a.StartsWith("--gres", StringComparison.Ordinal)));

        string arrayScript = Script($"# dslunlearn submit {experiment} --slurm: task i runs unit i of {units.Count} (tasks.tsv); written by dslunlearn, rewritten on every submit.",
            array, new StringBuilder()
                .AppendLine("# torch threads = the task's CPUs (libgomp busy-waits when processes oversubscribe cores)")
                .AppendLine("export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"")
                .AppendLine("export OMP_WAIT_POLICY=passive")
                .AppendLine($"export {StageFailure.LogVariable}={Quote(Path.Combine(dir, "logs"))}/\"${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}.out\"")
                .AppendLine($"{cmd} run {Quote(experiment)} --task \"$SLURM_ARRAY_TASK_ID\" --of {units.Count}{pass}"),
            $"{Quote(exitDir)}/\"${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}\"");
        string aggregateScript = Script($"# dslunlearn submit {experiment} --slurm: the aggregation, after every array task succeeded (afterok): reports from the store.",
            aggregate, new StringBuilder()
                .AppendLine("export OMP_NUM_THREADS=1")
                .AppendLine("export OMP_WAIT_POLICY=passive")
                .AppendLine($"{cmd} report {Quote(experiment)}{pass}"),
            $"{Quote(exitDir)}/\"aggregate_${{SLURM_JOB_ID}}\"");
        var tasks = new StringBuilder("task\tunit\tkind\n");
        foreach (var u in units) tasks.Append(CultureInfo.InvariantCulture, $"{u.Index}\t{u.Id}\t{(u.Stages is null ? "cell" : "unlearn entry")}\n");

        string arrayPath = Path.Combine(dir, "array.sh"), aggregatePath = Path.Combine(dir, "aggregate.sh"), tasksPath = Path.Combine(dir, "tasks.tsv");
        AtomicFile.WriteText(arrayPath, arrayScript);
        AtomicFile.WriteText(aggregatePath, aggregateScript);
        AtomicFile.WriteText(tasksPath, tasks.ToString());
        return new SlurmPlan(dir, arrayPath, aggregatePath, tasksPath, units, array, aggregate);
    }

    /// <summary>An sbatch script: the header comment, one #SBATCH line per directive, the body, then the body's exit code
    /// written to <paramref name="exitFile"/> (a shell word), which `--wait` reads to name failed jobs without sacct.</summary>
    private static string Script(string comment, IEnumerable<string> directives, StringBuilder body, string exitFile)
        => new StringBuilder()
            .AppendLine("#!/bin/bash")
            .AppendLine(comment)
            .Append(string.Concat(directives.Select(a => $"#SBATCH {a}\n")))
            .Append(body)
            .AppendLine("rc=$?")
            .AppendLine($"echo \"$rc\" > {exitFile}")
            .AppendLine("exit \"$rc\"")
            .ToString();

    /// <summary>Submits the array, then the aggregation with afterok on it (killed if a task fails); saves submit.json.</summary>
    public static SubmitRecord Submit(string experiment, SlurmPlan plan)
    {
        string arrayId = Sbatch(["--parsable", plan.ArrayScript]);
        string aggregateId;
        try
        {
            aggregateId = Sbatch(["--parsable", $"--dependency=afterok:{arrayId}", "--kill-on-invalid-dep=yes", plan.AggregateScript]);
        }
        catch
        {
            Run("scancel", [arrayId], out _); // no orphan array without its aggregation
            throw;
        }
        var record = new SubmitRecord
        {
            Experiment = experiment, SubmittedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), ArrayJobId = arrayId,
            AggregateJobId = aggregateId, Tasks = plan.Units.Count, Units = plan.Units.Select(u => u.Id).ToList(), SlurmDirectory = plan.Directory,
        };
        record.Save();
        return record;
    }

    /// <summary>
    /// Polls squeue about every second (sbatch --wait backs off to 32 s) until the array and the aggregation have left
    /// the queue; reports state changes through <paramref name="onChange"/>.
    /// </summary>
    public static void WaitUntilDone(SubmitRecord record, Action<string> onChange, CancellationToken cancel = default)
    {
        string last = "";
        int failures = 0;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            int rc = Run("squeue", ["-h", "-j", $"{record.ArrayJobId},{record.AggregateJobId}", "-o", "%i %T %R"], out string output);
            if (rc != 0)
            {
                // A finished job id can make squeue exit non-zero ("Invalid job id") once it is purged: that means done.
                if (output.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return;
                if (++failures >= 30) throw new InvalidOperationException($"squeue keeps failing (exit {rc}): {output.Trim()}");
            }
            else
            {
                failures = 0;
                string now = string.Join("; ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
                if (now.Length == 0) return;
                if (now != last) onChange(now);
                last = now;
            }
            Thread.Sleep(1000);
        }
    }

    /// <summary>How every task and the aggregation of a finished submit ended (from the exit files the scripts write and the task records).</summary>
    public static IReadOnlyList<TaskOutcome> Outcomes(SubmitRecord record, string experimentDir)
    {
        var list = new List<TaskOutcome>();
        for (int i = 0; i < record.Tasks; i++)
        {
            string unit = i < record.Units.Count ? record.Units[i] : "?";
            string log = record.TaskLog(i);
            var exit = ReadExit(record.TaskExitFile(i));
            var task = TaskRecord.TryLoad(TaskRecord.PathOf(experimentDir, i));
            bool mine = task?.Worker.SlurmArrayJobId == record.ArrayJobId;
            if (exit == 0) list.Add(new TaskOutcome($"task {i} ({unit})", true, mine ? $"{task!.Executed.Count} stage(s) computed, {task.Cached} cached" : "ok", log));
            else if (exit is { } code)
                list.Add(new TaskOutcome($"task {i} ({unit})", false, $"exit {code}" + (mine && task!.Error is { } e ? $": {e}" : ""), log));
            else
                list.Add(new TaskOutcome($"task {i} ({unit})", false,
                    "ended without recording an exit code: killed by Slurm (time limit, memory, preemption, scancel) or never started" + SlurmState(record.ArrayJobId + "_" + i), log));
        }
        var agg = ReadExit(record.AggregateExitFile);
        list.Add(agg switch
        {
            0 => new TaskOutcome("aggregation (report)", true, "ok", record.AggregateLog),
            { } code => new TaskOutcome("aggregation (report)", false, $"exit {code}", record.AggregateLog),
            null => new TaskOutcome("aggregation (report)", false,
                list.Any(t => !t.Ok) ? "not run: a task failed, so its afterok dependency was never met" : "ended without recording an exit code" + SlurmState(record.AggregateJobId), record.AggregateLog),
        });
        return list;
    }

    private static int? ReadExit(string path)
    {
        try { return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int rc) ? rc : null; }
        catch (IOException) { return null; }
    }

    /// <summary>"; Slurm says JobState=TIMEOUT ..." while the controller still remembers the job (MinJobAge), else "".</summary>
    private static string SlurmState(string jobId)
    {
        if (Run("scontrol", ["-o", "show", "job", jobId], out string output) != 0) return "";
        var fields = output.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(f => f.StartsWith("JobState=", StringComparison.Ordinal) || f.StartsWith("Reason=", StringComparison.Ordinal) || f.StartsWith("ExitCode=", StringComparison.Ordinal));
        string s = string.Join(' ', fields);
        return s.Length == 0 ? "" : $"; Slurm says {s}";
    }

    private static string Sbatch(IReadOnlyList<string> args)
    {
        int rc = Run("sbatch", args, out string output);
        if (rc != 0) throw new InvalidOperationException($"sbatch {string.Join(' ', args)} failed (exit {rc}): {output.Trim()}");
        string id = output.Trim().Split('\n')[^1].Split(';')[0].Trim(); // --parsable: "<id>" or "<id>;<cluster>"
        if (!id.All(char.IsDigit) || id.Length == 0) throw new InvalidOperationException($"sbatch printed no job id: {output.Trim()}");
        return id;
    }

    /// <summary>Runs a Slurm client tool; exit code and combined output. A missing tool is a clear error.</summary>
    internal static int Run(string tool, IReadOnlyList<string> args, out string output)
    {
        var psi = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"'{tool}' is not on PATH: submit --slurm needs the Slurm client tools (sbatch, squeue, scontrol) on this machine.");
        }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            output += stderr.Result;
            return p.ExitCode;
        }
    }

    /// <summary>Single-quotes a word for bash when it needs it.</summary>
    public static string Quote(string s)
        => s.Length > 0 && s.All(ch => char.IsLetterOrDigit(ch) || "/._-=:,+@%".Contains(ch)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
