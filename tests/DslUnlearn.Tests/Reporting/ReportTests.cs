using DslUnlearn.Reporting;
using DslUnlearn.Stats;

namespace DslUnlearn.Tests.Reporting;

public class ReportTests
{
    [Fact]
    public void Mean_std_and_least_squares_fit_match_hand_computed_values()
    {
        Assert.Equal(2.5, Statistics.Mean([1, 2, 3, 4]));
        Assert.Equal(Math.Sqrt(5.0 / 3.0), Statistics.StdDev([1, 2, 3, 4]), 12);
        Assert.True(double.IsNaN(Statistics.StdDev([1])));
        // x = 1,2,3; y = 2,4,7: mx 2, my 13/3, sxx 2, sxy 5, syy 38/3 -> slope 2.5, intercept -2/3, r = 5 / sqrt(2 * 38/3)
        var (_, slope, intercept, r, _) = LinearFit.Fit([1, 2, 3], [2, 4, 7]);
        Assert.Equal(2.5, slope, 12);
        Assert.Equal(-2.0 / 3.0, intercept, 12);
        Assert.Equal(5 / Math.Sqrt(2 * 38.0 / 3.0), r, 12);
        Assert.Equal(1.0, LinearFit.Fit([0, 1, 2], [1, 3, 5]).Pearson, 12);
        Assert.True(double.IsNaN(LinearFit.Fit([1, 1, 1], [1, 2, 3]).Pearson));
    }

    [Fact]
    public void Tables_show_mean_and_std_across_seeds_in_markdown_csv_and_booktabs_latex()
    {
        var input = new ReportInput { Runs = [Run(1, 0.4, 0.9), Run(2, 0.6, 0.7)] };
        var table = SummaryTables.Build(input);
        Assert.Equal(2, table.Seeds);
        Assert.Equal(["target", "ga_x"], table.Models);
        var forget = table.Columns.Single(c => c is { Metric: "es_exact", Split: "forget", Calibrated: false });
        var cell = table.Get("ga_x", forget)!;
        Assert.Equal(0.5, cell.Mean, 12);
        Assert.Equal(Math.Sqrt(0.02), cell.Std, 12); // (0.1^2 + 0.1^2) / 1
        Assert.Equal(2, cell.N);

        string md = SummaryTables.Markdown(table, "caption");
        Assert.Contains("| model | ES exact forget | ES exact retain |" + Environment.NewLine + "|---|---:|---:|" + Environment.NewLine, md);
        Assert.Contains("| ga_x | 0.500 ± 0.141 | 0.800 ± 0.141 |", md);

        string csv = SummaryTables.Csv(table);
        Assert.StartsWith("model,es_exact_forget_mean,es_exact_forget_std,es_exact_forget_n,es_exact_forget_ci_low,es_exact_forget_ci_high,es_exact_retain_mean,", csv);
        Assert.Contains("\nga_x,0.5,0.14142135623730", csv);

        string tex = SummaryTables.Latex(table, "A caption_with underscore", "tab:x");
        Assert.Contains("\\toprule", tex);
        Assert.Contains("\\multicolumn{2}{c}{ES exact}", tex);
        Assert.Contains("\\cmidrule(lr){2-3}", tex);
        Assert.Contains("ga\\_x & $0.500 \\pm 0.141$ & $0.800 \\pm 0.141$ \\\\", tex);
        Assert.Contains("\\bottomrule", tex);
        Assert.Contains("caption\\_with", tex);
    }

    [Fact]
    public void Calibrated_columns_appear_only_when_calibration_results_exist()
    {
        var plain = SummaryTables.Build(new ReportInput { Runs = [Run(1, 0.4, 0.9)] });
        Assert.DoesNotContain(plain.Columns, c => c.Calibrated);
        Assert.Contains("| ga_x | 0.400 | 0.900 |", SummaryTables.Markdown(plain, ""));

        var calibrated = SummaryTables.Build(new ReportInput
        {
            Runs = [Run(1, 0.4, 0.9)],
            Calibrated = [new CalibratedValue("ga_x", 1, 0.3, "es_exact", "forget", 0.7), new CalibratedValue("ga_x", 1, 0.3, "es_exact", "retain", 0.9)],
        });
        Assert.Contains(calibrated.Columns, c => c is { Calibrated: true, Split: "forget" });
        Assert.Contains("| model | ES exact forget | ES exact retain | ES exact forget (cal.) | ES exact retain (cal.) |", SummaryTables.Markdown(calibrated, ""));
        Assert.Contains("| target | 1.000 | 1.000 | n/a | n/a |", SummaryTables.Markdown(calibrated, ""));
        Assert.Contains("\\multicolumn{2}{c}{ES exact (calibrated)}", SummaryTables.Latex(calibrated, "c", "t"));
    }

    [Fact]
    public void Every_figure_renders_as_png_and_svg_with_its_labels()
    {
        if (!Plots.FontsAvailable()) return; // the report then warns and skips plots; covered by the engine tests
        var input = new ReportInput
        {
            Runs = [Run(1, 0.4, 0.9)],
            Trajectories = [new("ga_x", 1, 0, 1, 1), new("ga_x", 1, 2, 0.6, 0.95), new("ga_x", 1, 4, 0.3, 0.9)],
            Tradeoff = Enumerable.Range(0, 5).Select(i => new TradeoffPoint("ga_x", 1, i / 4.0, 1 - 0.7 * i / 4.0, 1 - 0.1 * i / 4.0)).ToList(),
            Calibrated = [new("ga_x", 1, 0.55, "es_exact", "forget", 0.62), new("gd", 1, 0.8, "es_exact", "forget", 0.48)],
            Robustness = Enumerable.Range(0, 8).Select(i => new RobustnessPoint("es_exact", "relearn", "forget", $"m{i}", i / 8.0, 0.1 + 0.8 * i / 8.0 + (i % 2) * 0.05)).ToList(),
        };
        var figures = Plots.All(input);
        Assert.Equal(["es_along_unlearning", "tradeoff_es_vs_alpha", "robustness_es_exact_relearn_forget", "calibrated_forget_es"], figures.Select(f => f.Name));
        foreach (var f in figures)
        {
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, f.Png[..4]);
            Assert.Contains("<svg", f.Svg);
        }
        Assert.Contains("Mixing weight", figures[1].Svg);
        Assert.Contains("Pearson r = 0.99", figures[2].Svg);
        Assert.Contains("Unlearning step", figures[0].Svg);
        if (Environment.GetEnvironmentVariable("DSLU_PLOT_DIR") is { } keep) // to look at them: DSLU_PLOT_DIR=/tmp/plots dotnet test ...
        {
            Directory.CreateDirectory(keep);
            foreach (var f in figures) File.WriteAllBytes(Path.Combine(keep, f.Name + ".png"), f.Png);
        }
    }

    [Fact]
    public void Report_builder_writes_results_tables_and_plots_or_warns_without_fonts()
    {
        var input = new ReportInput { Runs = [Run(1, 0.4, 0.9)] };
        var files = new Dictionary<string, byte[]>();
        void Write(string name, Action<Stream> w) { using var m = new MemoryStream(); w(m); files[name] = m.ToArray(); }

        var warnings = ReportBuilder.Build(input, plots: false, Write);
        Assert.Equal(["results.json", "summary.md", "tables/summary.md", "tables/summary.csv", "tables/summary.tex"], files.Keys);
        Assert.Contains("fonts-dejavu-core", Assert.Single(warnings));
        if (Plots.FontsAvailable())
        {
            files.Clear();
            Assert.Empty(ReportBuilder.Build(input, plots: true, Write));
            Assert.Contains("plots/es_per_model.png", files.Keys);
            Assert.Contains("plots/es_per_model.svg", files.Keys);
        }
    }

    [Fact]
    public void Every_cell_has_its_seeded_bootstrap_interval_in_csv_and_json_and_in_markdown_and_latex_when_asked()
    {
        double[] samples = [0.0, 1.0, 0.5, 0.25, 1.0, 0.0, 0.75, 0.5];
        var run = Run(3, 0.4, 0.9);
        var ga = run.Models[1];
        run = run with { Models = [run.Models[0], ga with { Metrics = [new MetricValues("es_exact", SplitKind.Forget, samples, samples.Average()), ga.Metrics[1]] }] };
        var table = SummaryTables.Build(new ReportInput { Runs = [run] });
        var forget = table.Columns.Single(c => c.Split == "forget");
        var expected = Bootstrap.MeanOfMeans([samples], Bootstrap.SeedFor(3, ValueIntervals.Cell("ga_x", "es_exact", "forget")))!;
        Assert.Equal(expected, table.Get("ga_x", forget)!.Ci);
        Assert.True(expected.Low < samples.Average() && samples.Average() < expected.High);

        string csv = SummaryTables.Csv(table);
        Assert.Contains($"\nga_x,{samples.Average():R},,1,{expected.Low:R},{expected.High:R},", csv);
        Assert.DoesNotContain("[", SummaryTables.Markdown(table, "c"));
        Assert.Contains($"| ga_x | 0.500 [{expected.Low:F3}, {expected.High:F3}] |", SummaryTables.Markdown(table, "c", intervals: true));
        Assert.Contains($"ga\\_x & 0.500 {{\\scriptsize [{expected.Low:F3}, {expected.High:F3}]}}", SummaryTables.Latex(table, "c", "tab:c", intervals: true));

        using var buffer = new MemoryStream();
        ResultsJsonWriter.Write(buffer, run);
        var node = System.Text.Json.Nodes.JsonNode.Parse(buffer.ToArray())!["models"]!["ga_x"]!["es_exact"]!["forget"]!;
        Assert.Equal(expected.Low, node["ci_low"]!.GetValue<double>());
        Assert.Equal(expected.High, node["ci_high"]!.GetValue<double>());
    }

    /// <summary>A hand-made run: target at 1.0, one unlearned model with the given forget/retain ES.</summary>
    private static RunRecord Run(int seed, double forget, double retain)
    {
        var spec = TestSpecs.Tiny("unused") with { Seed = seed, Metrics = [new MetricSpec { Name = "es_exact", Metric = new DslUnlearn.Metrics.EsExactMetric(new DslUnlearn.Metrics.NoOptions()), Splits = TestSpecs.BothSplits }] };
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        ModelEvaluation Model(string name, string kind, double f, double r) => new(name, kind, kind == "unlearned" ? "ga" : null,
            [new MetricValues("es_exact", SplitKind.Forget, [f], f), new MetricValues("es_exact", SplitKind.Retain, [r], r)]);
        return new RunRecord(spec, data, 1000, 0.5, [Model("target", "target", 1, 1), Model("ga_x", "unlearned", forget, retain)],
            new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>>());
    }
}
