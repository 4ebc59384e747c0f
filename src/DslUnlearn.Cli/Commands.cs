using System.CommandLine;
using System.Diagnostics;
using DslUnlearn.Experiments;
using DslUnlearn.Pipeline;
using DslUnlearn.Specs;
using Spectre.Console;

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
        var name = new Argument<string>("experiment") { Description = "Experiment name (see `dslunlearn list`)." };
        var outRoot = new Option<string?>("--out") { Description = "Output root (default: the spec's report.out, usually ./artifacts)." };
        var device = new Option<DeviceKind?>("--device") { Description = "Override the spec's device: auto, cpu or cuda." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print which stages would run and why (new, changed, missing, corrupt); compute nothing." };
        var run = new Command("run", "Fine-tune, unlearn and evaluate one experiment through the artifact store (cached, resumable); writes <out>/<experiment>/results.json, summary.md, tables/, plots/ and manifest.json.")
        {
            name, outRoot, device, dryRun,
        };
        run.SetAction(parse => parse.GetValue(dryRun)
            ? DryRun.Print(parse.GetValue(name)!, parse.GetValue(outRoot), parse.GetValue(device))
            : Run(parse.GetValue(name)!, parse.GetValue(outRoot), parse.GetValue(device)));
        return run;
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
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Failed;
        }
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
