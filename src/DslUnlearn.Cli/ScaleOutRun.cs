using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DslUnlearn.Engine.Workers;
using DslUnlearn.Pipeline;
using DslUnlearn.Specs;
using TorchSharp;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Cli;

/// <summary>
/// `run --task I --of N` / `--cell ID` (one unit of work, what a Slurm array task calls) and `run --jobs N`
/// (N local worker processes that take ready stages from the graphs of every cell).
/// </summary>
internal static class ScaleOutRun
{
    /// <summary>Set by `run --jobs` for its workers: when the run started (failures before it do not block the workers).</summary>
    private const string SinceVariable = "DSLUNLEARN_WORKERS_SINCE";

    /// <summary>How this executable starts itself (for worker processes and Slurm scripts): the apphost, or dotnet + the dll.</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string entry = typeof(ScaleOutRun).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, entry] : [process];
    }

    /// <summary>Cancels the run on SIGTERM (what Slurm sends at its time limit or on preemption) and Ctrl-C, so locks are released.</summary>
    private static CancellationTokenSource CancelOnSignals(out IDisposable registrations)
    {
        var cts = new CancellationTokenSource();
        void Cancel(PosixSignalContext c) { c.Cancel = true; Console.Error.WriteLine($"{c.Signal}: stopping after the current step (checkpoints are kept)."); cts.Cancel(); }
        var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        registrations = new Both(term, interrupt);
        return cts;
    }

    private sealed class Both(IDisposable a, IDisposable b) : IDisposable
    {
        public void Dispose() { a.Dispose(); b.Dispose(); }
    }

    public static int Task(IReadOnlyList<ExperimentSpec> cells, string? outRoot, int? task, int? of, string? cellId)
    {
        var options = new RunOptions { OutputRoot = outRoot, Progress = new PlainProgress(Console.Out) };
        var units = WorkUnits.Of(cells, options);
        int index, count;
        if (cellId is not null)
        {
            var unit = units.FirstOrDefault(u => u.Id == cellId);
            if (unit is null)
            {
                Console.Error.WriteLine($"error: '{cells[0].Name}' has no unit '{cellId}'. Its units: {string.Join(", ", units.Select(u => u.Id))}.");
                return Commands.Usage;
            }
            (index, count) = (unit.Index, units.Count);
        }
        else
        {
            (index, count) = (task!.Value, of!.Value);
        }
        WorkerIdentity.CurrentTask = $"{index}/{count}" + (cellId is null ? "" : $" ({cellId})");
        using var cts = CancelOnSignals(out var signals);
        using var _ = signals;
        var clock = Stopwatch.StartNew();
        return Guarded($"task {index}/{count}", $"Task {index}/{count} was stopped; run it again to resume.", () =>
        {
            var record = WorkUnits.RunTask(units, index, count, options with { Cancellation = cts.Token });
            Console.WriteLine($"Task {index}/{count} ({string.Join(", ", record.Units)}) finished in {clock.Elapsed.TotalSeconds:F1} s: " +
                $"{record.Executed.Count} stage(s) computed, {record.Cached} cached.");
            if (record.Units.Count == 0) Console.WriteLine($"(task {index} of {count} has no unit: '{cells[0].Name}' has {units.Count}.)");
            return Commands.Ok;
        });
    }

    /// <summary>Runs a task's or a worker's body: a stop (Ctrl+C, SIGTERM) or a failure the user can act on becomes one
    /// line on stderr and exit code 1, not a stack trace.</summary>
    private static int Guarded(string who, string stopped, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine(stopped);
            return Commands.Failed;
        }
        catch (Exception e) when (Commands.IsUserError(e))
        {
            Console.Error.WriteLine($"error: {who}: {e.Message}");
            return Commands.Failed;
        }
    }

    /// <summary>`run --jobs N`: starts N workers (torch threads = cores / N each), waits, then publishes every cell's report from the store.</summary>
    public static int Jobs(IReadOnlyList<ExperimentSpec> cells, string name, string? outRoot, DeviceKind? device, int jobs, string? devices)
    {
        if (jobs < 1) { Console.Error.WriteLine($"error: --jobs must be at least 1 (got {jobs})."); return Commands.Usage; }
        var deviceList = devices?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() ?? [];
        foreach (var d in deviceList)
            if (d != "cpu" && !(d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d.AsSpan(5), out _)))
            {
                Console.Error.WriteLine($"error: --devices takes cpu or cuda:<index> items separated by commas (e.g. cuda:0,cuda:1); '{d}' is neither.");
                return Commands.Usage;
            }
        int threads = Math.Max(1, Environment.ProcessorCount / jobs);
        string since = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        // A stored run needs no workers: starting N processes that each load libtorch and find nothing to build cost
        // 3.6 s against 0.8 s for publishing from the store in this process (paper-metric-robustness, 2026-12-02).
        if (NothingToBuild(cells, outRoot))
        {
            Console.WriteLine("Every stage is stored and verified: no workers needed; publishing the reports from the store.");
            return Publish(cells, outRoot, clock, jobs: 0);
        }
        Console.WriteLine($"Starting {jobs} worker(s), {threads} torch thread(s) each{(deviceList.Count > 0 ? $", devices {string.Join(", ", deviceList)}" : "")}.");
        var workers = new List<(int Index, Process Process)>();
        for (int i = 0; i < jobs; i++)
        {
            var self = SelfCommand();
            var psi = new ProcessStartInfo(self[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in self.Skip(1)) psi.ArgumentList.Add(a);
            foreach (var a in new[] { "run", name, "--worker", i.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
            if (outRoot is not null) { psi.ArgumentList.Add("--out"); psi.ArgumentList.Add(outRoot); }
            string? dev = deviceList.Count > 0 ? deviceList[i % deviceList.Count] : null;
            if (dev is not null)
            {
                psi.ArgumentList.Add("--device");
                psi.ArgumentList.Add(dev == "cpu" ? "cpu" : "cuda");
                if (dev != "cpu") psi.Environment["CUDA_VISIBLE_DEVICES"] = dev[5..]; // the worker sees its one GPU as cuda:0
            }
            else if (device is { } d) { psi.ArgumentList.Add("--device"); psi.ArgumentList.Add(d.ToString().ToLowerInvariant()); }
            psi.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
            psi.Environment[SinceVariable] = since;
            var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start a worker process");
            int index = i;
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"[w{index}] {e.Data}"); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[w{index}] {e.Data}"); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            workers.Add((i, p));
        }
        var failed = new List<string>();
        foreach (var (i, p) in workers)
        {
            p.WaitForExit();
            if (p.ExitCode != 0) failed.Add($"worker {i} (pid {p.Id}) exited with {p.ExitCode}");
            p.Dispose();
        }
        if (failed.Count > 0)
        {
            Console.Error.WriteLine($"error: {string.Join("; ", failed)}. See its lines above ([w<i>]); `dslunlearn status {name}` lists failed stages. Running again resumes.");
            return Commands.Failed;
        }
        Console.WriteLine($"Workers done in {clock.Elapsed.TotalSeconds:F1} s; publishing the reports from the store.");
        return Publish(cells, outRoot, clock, jobs);
    }

    /// <summary>Whether every stage of every cell is stored and verified (the dry run's "Nothing to do").</summary>
    private static bool NothingToBuild(IReadOnlyList<ExperimentSpec> cells, string? outRoot)
    {
        var options = new RunOptions { OutputRoot = outRoot };
        try
        {
            return cells.All(c => StagedExperimentRunner.Plan(c, options).All(s => !s.WillRun));
        }
        catch (Exception e) when (Commands.IsUserError(e))
        {
            return false; // the workers meet the same problem at its stage and say so there
        }
    }

    private static int Publish(IReadOnlyList<ExperimentSpec> cells, string? outRoot, Stopwatch clock, int jobs)
    {
        var result = ExperimentCells.Run(cells, new RunOptions { OutputRoot = outRoot, Progress = new PlainProgress(Console.Out) }).Result;
        Console.WriteLine(File.ReadAllText(result.SummaryPath));
        Console.WriteLine($"Finished in {clock.Elapsed.TotalSeconds:F1} s with {jobs} worker(s). Results: {result.ResultsJsonPath}");
        return Commands.Ok;
    }

    /// <summary>One worker of `run --jobs` (started by it): builds ready stages until every stage of every cell is stored.</summary>
    public static int Worker(IReadOnlyList<ExperimentSpec> cells, string? outRoot, int worker, int? threads)
    {
        WorkerIdentity.CurrentWorker = worker;
        if (threads is { } t) torch.set_num_threads(t);
        var progress = new PlainProgress(Console.Out);
        var options = new RunOptions { OutputRoot = outRoot, Progress = progress };
        DateTime since = DateTime.TryParse(Environment.GetEnvironmentVariable(SinceVariable), null, DateTimeStyles.RoundtripKind, out var s) ? s : DateTime.UtcNow;
        using var cts = CancelOnSignals(out var signals);
        using var _ = signals;
        return Guarded($"worker {worker}", $"Worker {worker} was stopped.", () =>
        {
            var graphs = cells.Select(c => StagedExperimentRunner.Graph(c, options)).ToList();
            var engine = new BuildEngine(graphs[0].Store, graphs[0].EngineOptions);
            var result = engine.BuildReady(graphs.Select(g => g.Graph).ToList(), progress, since, cts.Token);
            foreach (var (g, o) in result.Built)
                Console.WriteLine($"  {(cells[g].Cell is { } c ? c + " " : "")}{o.Id,-22} {o.Status,-8} {o.Key[..12]}  {o.Seconds:F1} s");
            Console.WriteLine($"Worker {worker}: {result.Built.Count} stage(s) built.");
            if (result.Blocked.Count == 0) return Commands.Ok;
            Console.Error.WriteLine($"error: worker {worker} stops: nothing left it can build; {string.Join("; ", result.Blocked)}");
            return Commands.Failed;
        });
    }
}
