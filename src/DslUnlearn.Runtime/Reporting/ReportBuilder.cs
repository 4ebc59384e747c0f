namespace DslUnlearn.Reporting;

/// <summary>
/// Renders every report file of an experiment from its data: results.json (first seed, the OpenUnlearning
/// shape), summary.md, tables/summary.{md,csv,tex} and plots/*.{png,svg}. Pure: no training, no store access.
/// </summary>
public static class ReportBuilder
{
    public const int FormatVersion = 4; // 2: tables/meta_eval.{md,csv}; 3: metric aggregates kept, bootstrap intervals; 4: meta_eval reads each metric's direction from its instance (truth_ratio closer_to_1, forget_quality on forget)

    public const string FontWarning =
        "warning: no font found for the plots (SkiaSharp sees no font family), so plots/ was skipped; tables and results.json are complete. " +
        "Fix: install a font (Debian/Ubuntu: sudo apt-get install -y fonts-dejavu-core), then run `dslunlearn report <experiment>`.";

    /// <summary>Writes each output through <paramref name="write"/> (relative path, writer); returns warnings.</summary>
    public static IReadOnlyList<string> Build(ReportInput input, bool plots, Action<string, Action<Stream>> write)
    {
        var warnings = new List<string>();
        var first = input.Runs[0];
        write("results.json", s => ResultsJsonWriter.Write(s, first));
        write("summary.md", s => Utf8(s, SummaryMarkdownWriter.Render(first)));

        var table = SummaryTables.Build(input);
        string seeds = table.Seeds > 1 ? $"mean ± std over {table.Seeds} seeds ({string.Join(", ", input.Runs.Select(r => r.Spec.Seed))})" : $"seed {first.Spec.Seed}";
        string caption = $"{first.Spec.Name}: each metric's aggregate over samples (the mean for most) per model; {seeds}. ES = extraction strength, EM = exact memorization; " +
                         "forget values should drop after unlearning, retain values should stay." +
                         (input.Calibrated.Count > 0 ? " (cal.) = at the mixing weight chosen by calibration." : "");
        bool intervals = first.Spec.Report.Intervals;
        if (intervals) caption += " [low, high] = seeded 95 % bootstrap interval over the per-sample values.";
        write("tables/summary.md", s => Utf8(s, SummaryTables.Markdown(table, caption, intervals)));
        write("tables/summary.csv", s => Utf8(s, SummaryTables.Csv(table)));
        write("tables/summary.tex", s => Utf8(s, SummaryTables.Latex(table, caption, $"tab:{first.Spec.Name}", intervals)));
        if (first.Attacked.Count > 0)
        {
            var (md, csv) = AttackTables.Attacks(first);
            write("tables/attacks.md", s => Utf8(s, md));
            write("tables/attacks.csv", s => Utf8(s, csv));
        }
        if (input.Robustness.Count > 0)
        {
            var (md, csv) = AttackTables.RobustnessTables(input);
            write("tables/robustness.md", s => Utf8(s, md));
            write("tables/robustness.csv", s => Utf8(s, csv));
        }
        if (MetaEvalTables.Applies(input))
        {
            var (metaMd, metaCsv) = MetaEvalTables.Tables(input);
            write("tables/meta_eval.md", s => Utf8(s, metaMd));
            write("tables/meta_eval.csv", s => Utf8(s, metaCsv));
        }

        if (!plots)
        {
            warnings.Add(FontWarning);
            return warnings;
        }
        foreach (var f in Plots.All(input))
        {
            write($"plots/{f.Name}.png", s => s.Write(f.Png));
            write($"plots/{f.Name}.svg", s => Utf8(s, f.Svg));
        }
        return warnings;
    }

    private static void Utf8(Stream s, string text) => s.Write(new UTF8Encoding(false).GetBytes(text));
}
