using DslUnlearn.Experiments;
using DslUnlearn.Pipeline;
using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Pipeline;

/// <summary>Experiment-level sweep cells: each cell through the staged engine into cells/&lt;id&gt;/, and the aggregate across seeds.</summary>
public class ExperimentCellsTests
{
    private static readonly string[] Models = ["untrained", "target", "ga", "gd"];
    private static readonly string[] Metrics = ["es_exact", "em"];
    private static readonly string[] Splits = ["forget", "retain"];

    private static ExperimentSpec Cell(string root, int seed) => TestSpecs.Tiny(root, epochs: 3) with { Name = "cells-tiny", Seed = seed, Cell = $"seed={seed}" };

    [Fact]
    public void A_two_seed_run_writes_each_cell_and_an_aggregate_whose_mean_and_std_match_the_cells()
    {
        using var dir = new TempDir();
        var cells = new[] { Cell(dir.Path, 7), Cell(dir.Path, 8) };
        var run = ExperimentCells.Run(cells, new RunOptions());

        // Each cell: its own folder with the usual outputs, naming its cell.
        string expDir = Path.Combine(dir.Path, "cells-tiny");
        var perCell = new Dictionary<int, JsonElement>();
        foreach (var seed in new[] { 7, 8 })
        {
            string cellDir = Path.Combine(expDir, "cells", $"seed={seed}");
            Assert.True(File.Exists(Path.Combine(cellDir, "summary.md")));
            Assert.True(File.Exists(Path.Combine(cellDir, "manifest.json")));
            var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(cellDir, "results.json"))).RootElement;
            Assert.Equal($"seed={seed}", json.GetProperty("cell").GetString());
            Assert.Equal(seed, json.GetProperty("seed").GetInt32());
            perCell[seed] = json.GetProperty("models");
        }
        Assert.Equal(Path.Combine(expDir, "results.json"), run.Result.ResultsJsonPath);
        Assert.Equal(2, run.Cells.Count);
        var group = Assert.Single(run.Groups);
        Assert.Equal("", group.Label);

        // The aggregate: mean and sample std (n - 1) of the two cells' agg_value, computed here by hand.
        var aggregate = JsonDocument.Parse(File.ReadAllBytes(run.Result.ResultsJsonPath)).RootElement;
        Assert.Equal(["seed=7", "seed=8"], aggregate.GetProperty("cells").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        var agg = Assert.Single(aggregate.GetProperty("aggregate").EnumerateArray());
        Assert.Equal([7, 8], agg.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()));
        int differing = 0;
        foreach (var model in Models)
            foreach (var metric in Metrics)
                foreach (var split in Splits)
                {
                    double a = perCell[7].GetProperty(model).GetProperty(metric).GetProperty(split).GetProperty("agg_value").GetDouble();
                    double b = perCell[8].GetProperty(model).GetProperty(metric).GetProperty(split).GetProperty("agg_value").GetDouble();
                    var v = agg.GetProperty("models").GetProperty(model).GetProperty(metric).GetProperty(split);
                    Assert.Equal((a + b) / 2, v.GetProperty("mean").GetDouble(), 12);
                    Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), v.GetProperty("std").GetDouble(), 12);
                    Assert.Equal(2, v.GetProperty("n").GetInt32());
                    if (a != b) differing++;
                }
        Assert.True(differing > 0, "two seeds should give different values somewhere");

        // The aggregate table shows mean ± std with n.
        string table = File.ReadAllText(Path.Combine(expDir, "tables", "aggregate.md"));
        double ga7 = perCell[7].GetProperty("ga").GetProperty("es_exact").GetProperty("forget").GetProperty("agg_value").GetDouble();
        double ga8 = perCell[8].GetProperty("ga").GetProperty("es_exact").GetProperty("forget").GetProperty("agg_value").GetDouble();
        Assert.Contains($"| ga | 2 | {SummaryTables.F((ga7 + ga8) / 2)} ± {SummaryTables.F(Math.Abs(ga7 - ga8) / Math.Sqrt(2))} |", table);
        Assert.Contains(table, File.ReadAllText(run.Result.SummaryPath));
        Assert.True(File.Exists(Path.Combine(expDir, "tables", "aggregate.csv")));

        // Cells differing in seed share no stage; a second run reuses every stage of every cell.
        var plans = cells.Select(c => StagedExperimentRunner.Plan(c, new RunOptions())).ToList();
        Assert.All(plans.SelectMany(p => p), s => Assert.False(s.WillRun));
        Assert.Empty(plans[0].Select(s => s.Key).Intersect(plans[1].Select(s => s.Key)));

        // gc sees the cells' manifests (cells/<id>/manifest.json): nothing of theirs is garbage.
        var gc = GarbageCollector.Collect(dir.Path, dryRun: true);
        Assert.Equal(2, gc.Manifests);
        Assert.Empty(gc.RemovedKeys);

        // report rebuilds every cell and the same aggregate from the store alone.
        byte[] aggregateBytes = File.ReadAllBytes(run.Result.ResultsJsonPath);
        File.Delete(run.Result.ResultsJsonPath);
        var report = ExperimentCells.Report(cells, new RunOptions());
        Assert.Equal(aggregateBytes, File.ReadAllBytes(report.Result.ResultsJsonPath));
    }

    [Fact]
    public void Cells_that_differ_only_in_their_label_share_every_stage_but_the_report()
    {
        using var dir = new TempDir();
        var plain = TestSpecs.Tiny(dir.Path, epochs: 3);
        var a = StagedExperimentRunner.Plan(plain, new RunOptions()).ToDictionary(s => s.Id, s => s.Key);
        var b = StagedExperimentRunner.Plan(plain with { Cell = "seed=7" }, new RunOptions()).ToDictionary(s => s.Id, s => s.Key);
        Assert.All(a.Keys.Where(id => id != "report"), id => Assert.Equal(a[id], b[id]));
        Assert.NotEqual(a["report"], b["report"]); // its results.json names the cell
    }

    [Fact]
    public void A_spec_without_experiment_sweeps_keeps_its_stage_keys_and_output_folder()
    {
        // Keys of the compiled quickstart as main computed them before experiment-level sweeps existed
        // (`dslunlearn run quickstart --dry-run`, first 12 hex digits); the report key, which hashes the whole resolved spec, moved with ReportBuilder.FormatVersion 2 and again with data.retain_authors;
        // evaluate/* moved with eval.json format 2 (each metric's own aggregate stored), and the report with results format 2, report format 3, report.intervals and report format 4 (meta_eval directions from the metric instance).
        // every key but init/model moved with the retain-train / retain-eval / holdout split (docs/evaluation-protocol.md: the data node holds the
        // split sizes); component versions at 1 add nothing. A deliberate change to the engine's keys updates these.
        using var dir = new TempDir();
        var quickstart = ExperimentCatalog.Find("quickstart")!;
        Assert.Equal([quickstart.Spec], quickstart.Cells);
        Assert.Null(quickstart.Spec.Cell);
        var plan = StagedExperimentRunner.Plan(quickstart.Spec, new RunOptions { OutputRoot = dir.Path });
        var keys = plan.ToDictionary(s => s.Id, s => s.Key[..12]);
        Assert.Equal(QuickstartKeys, keys);
        Assert.Equal(Path.Combine(dir.Path, "quickstart"), ExperimentResult.DirectoryOf(quickstart.Spec, dir.Path));
    }

    private static readonly Dictionary<string, string> QuickstartKeys = new()
    {
        ["init/model"] = "8af271ef79d8", ["finetune/target"] = "581443bd8736", ["evaluate/untrained"] = "30c8aafb0737",
        ["evaluate/target"] = "81500ac9deeb", ["unlearn/ga"] = "f05415416fcd", ["evaluate/ga"] = "cfa17bcc3242",
        ["unlearn/gd"] = "51986842ef01", ["evaluate/gd"] = "f9b9c5aa841f", ["report"] = "29e39626dffa",
    };

    [Fact]
    public void The_compiled_tiny_seeds_spec_has_three_seed_cells()
    {
        var e = ExperimentCatalog.Find("tiny-seeds")!;
        Assert.Equal(["seed=1", "seed=2", "seed=3"], e.Cells.Select(c => c.Cell));
        Assert.Equal([1, 2, 3], e.Cells.Select(c => c.Seed));
        Assert.Same(e.Spec, e.Cells[0]);
        Assert.Equal(["", "", ""], e.Cells.Select(c => CellAggregation.GroupOf(c.Cell)));
        Assert.Equal("finetune.lr=3e-3", CellAggregation.GroupOf("seed=2,finetune.lr=3e-3"));
    }
}
