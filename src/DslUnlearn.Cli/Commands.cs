using System.Diagnostics;
using DslUnlearn.Experiments;
using DslUnlearn.Pipeline;
using Spectre.Console;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Cli;

/// <summary>The `dslunlearn` command line: list, run.</summary>
internal static class Commands
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    public static RootCommand Build()
    {
        var root = new RootCommand("DslUnlearn: LLM-unlearning experiments compiled from YAML (Unlearning with Control, Wang et al., ICLR 2025).");
        root.Subcommands.Add(ListCommand());
        root.Subcommands.Add(RunCommand());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(BenchCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(GcCommand.Build());
        root.Subcommands.Add(BenchE2eCommand.Build());
        root.Subcommands.Add(ComponentsCommand.Build());
        root.Subcommands.Add(SubmitCommand.Build());
        root.Subcommands.Add(StatusCommand.Build());
        root.Subcommands.Add(TestbedCheckCommand.Build());
        return root;
    }

    private static Command ListCommand()
    {
        var list = new Command("list", "List the experiments compiled into this build (experiments/*.yaml).");
        list.SetAction(_ =>
        {
            foreach (var e in ExperimentCatalog.All)
                Console.WriteLine($"{e.Name,-24} {e.Spec.SourceFile,-28} {e.Spec.Description}");
            return Ok;
        });
        return list;
    }

    private static Command RunCommand()
    {
        var name = ExperimentArgument();
        var outRoot = new Option<string?>("--out") { Description = "Output root (default: the spec's report.out, usually ./artifacts)." };
        var device = new Option<DeviceKind?>("--device") { Description = "Override the spec's device: auto, cpu or cuda." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print which stages would run and why (new, changed, missing, corrupt); compute nothing." };
        var task = new Option<int?>("--task") { Description = "Run one unit of work (a sweep cell, or an unlearn entry with its attacks and calibration): unit I of --of N. What a Slurm array task calls." };
        var of = new Option<int?>("--of") { Description = "Number of tasks the units are spread over (with --task; task I runs the units whose index is I modulo N)." };
        var cell = new Option<string?>("--cell") { Description = "Run the one unit with this id (a cell such as seed=2, or an unlearn entry's name)." };
        var jobs = new Option<int?>("--jobs") { Description = "Run with N local worker processes that take ready stages from the graph; torch threads = cores / N each. Results are the same bytes as --jobs 1." };
        var devices = new Option<string?>("--devices") { Description = "With --jobs: one device per worker, e.g. cuda:0,cuda:1 (worker i gets item i modulo the count)." };
        var worker = new Option<int?>("--worker") { Description = "Internal: this process is worker I of `run --jobs`.", Hidden = true };
        var threads = new Option<int?>("--threads") { Description = "Internal: torch threads of a `run --jobs` worker.", Hidden = true };
        var run = new Command("run", "Fine-tune, unlearn and evaluate one experiment through the artifact store (cached, resumable); writes <out>/<experiment>/results.json, summary.md, tables/, plots/ and manifest.json.")
        {
            name, outRoot, device, dryRun, task, of, cell, jobs, devices, worker, threads,
        };
        run.SetAction(parse =>
        {
            string n = parse.GetValue(name)!;
            if (parse.GetValue(dryRun)) return DryRun.Print(n, parse.GetValue(outRoot), parse.GetValue(device));
            bool scaleOut = parse.GetValue(task) is not null || parse.GetValue(of) is not null || parse.GetValue(cell) is not null
                || parse.GetValue(jobs) is not null || parse.GetValue(worker) is not null;
            if (!scaleOut) return Run(n, parse.GetValue(outRoot), parse.GetValue(device));
            return ScaleOut(n, parse.GetValue(outRoot), parse.GetValue(device), parse.GetValue(task), parse.GetValue(of), parse.GetValue(cell),
                parse.GetValue(jobs), parse.GetValue(devices), parse.GetValue(worker), parse.GetValue(threads));
        });
        return run;
    }

    /// <summary>The scale-out modes of `run` (see ScaleOutRun.cs), after checking the option combination.</summary>
    private static int ScaleOut(string name, string? outRoot, DeviceKind? device, int? task, int? of, string? cell, int? jobs, string? devices, int? worker, int? threads)
    {
        var experiment = FindOrComplain(name);
        if (experiment is null) return Usage;
        var cells = experiment.Cells.Select(c => device is { } d ? c with { Device = d } : c).ToList();
        if (worker is { } w) return ScaleOutRun.Worker(cells, outRoot, w, threads);
        if (jobs is { } j)
        {
            if (task is not null || of is not null || cell is not null) return UsageError("--jobs runs the whole experiment; it does not combine with --task/--of/--cell.");
            return ScaleOutRun.Jobs(cells, name, outRoot, device, j, devices);
        }
        if (cell is not null && (task is not null || of is not null)) return UsageError("give either --cell ID or --task I --of N, not both.");
        if (cell is null && (task is null || of is null)) return UsageError("--task I needs --of N (the number of tasks), e.g. `--task 0 --of 3`.");
        return ScaleOutRun.Task(cells, outRoot, task, of, cell);
    }

    internal static int UsageError(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return Usage;
    }

    private static int Run(string name, string? outRoot, DeviceKind? device)
    {
        var experiment = ExperimentCatalog.Find(name);
        if (experiment is null)
        {
            Console.Error.WriteLine($"error: no experiment named '{name}'. {DidYouMean(name, ExperimentCatalog.Names)}Known: {string.Join(", ", ExperimentCatalog.Names)}.");
            Console.Error.WriteLine("Add experiments as experiments/<name>.yaml and rebuild.");
            return Usage;
        }
        // Every experiment-level sweep cell (just the spec when nothing is swept), each with the --device override.
        var cells = experiment.Cells.Select(c => device is { } d ? c with { Device = d } : c).ToList();
        var clock = Stopwatch.StartNew();
        try
        {
            ExperimentResult result;
            if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
            {
                ExperimentResult? r = null;
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(ctx => r = ExperimentCells.Run(cells, new RunOptions { OutputRoot = outRoot, Progress = new LiveProgress(ctx) }).Result);
                result = r!;
            }
            else
            {
                result = ExperimentCells.Run(cells, new RunOptions { OutputRoot = outRoot, Progress = new PlainProgress(Console.Out) }).Result;
            }
            Console.WriteLine();
            Console.WriteLine(File.ReadAllText(result.SummaryPath));
            Console.WriteLine($"Finished in {clock.Elapsed.TotalSeconds:F1} s. Results: {result.ResultsJsonPath}");
            return Ok;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Failed;
        }
    }

    /// <summary>The failures a user can act on (a bad path, a refused spec, a missing artifact): commands print their
    /// message as one line on stderr and exit 1, not a stack trace.</summary>
    internal static bool IsUserError(Exception e)
        => e is ArgumentException or InvalidOperationException or IOException or NotSupportedException or UnauthorizedAccessException;

    /// <summary>Runs a command's body; a <see cref="IsUserError"/> failure becomes "error: message" and exit 1.</summary>
    internal static int ReportingUserErrors(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Failed;
        }
    }

    /// <summary>The experiment-name argument of run, submit, report and status.</summary>
    internal static Argument<string> ExperimentArgument() => new("experiment") { Description = "Experiment name (see `dslunlearn list`)." };

    /// <summary>A command that takes an experiment and its output root, and nothing else (report, status); an unknown
    /// name is the usage error of <see cref="FindOrComplain"/>, a user error in the body exit 1.</summary>
    internal static Command ForExperiment(string verb, string description, string outDescription, Func<IExperiment, string?, int> run)
    {
        var name = ExperimentArgument();
        var outRoot = new Option<string?>("--out") { Description = outDescription };
        var command = new Command(verb, description) { name, outRoot };
        command.SetAction(parse => FindOrComplain(parse.GetValue(name)!) is { } experiment ? ReportingUserErrors(() => run(experiment, parse.GetValue(outRoot))) : Usage);
        return command;
    }

    /// <summary>The experiment by name, or null after printing the usage error (with did-you-mean).</summary>
    internal static IExperiment? FindOrComplain(string name)
    {
        var experiment = ExperimentCatalog.Find(name);
        if (experiment is null)
        {
            Console.Error.WriteLine($"error: no experiment named '{name}'. {DidYouMean(name, ExperimentCatalog.Names)}Known: {string.Join(", ", ExperimentCatalog.Names)}.");
            Console.Error.WriteLine("Add experiments as experiments/<name>.yaml and rebuild.");
        }
        return experiment;
    }

    private static string DidYouMean(string name, IEnumerable<string> known)
    {
        var best = known.Select(k => (k, d: Levenshtein(name, k))).OrderBy(x => x.d).FirstOrDefault();
        return best.k is not null && best.d <= Math.Max(2, name.Length / 3) ? $"Did you mean '{best.k}'? " : "";
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}
