using DslUnlearn.Metrics;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Stats;

namespace DslUnlearn.Reporting;

/// <summary>One column: a metric on a split, uncalibrated or at the calibrated mixing weight.</summary>
public sealed record TableColumn(string Metric, string Split, bool Calibrated)
{
    public string Title => $"{SummaryTables.MetricTitle(Metric)} {Split}{(Calibrated ? " (cal.)" : "")}";
    public string CsvName => $"{Metric}_{Split}{(Calibrated ? "_calibrated" : "")}";
}

/// <summary>A cell: mean over seeds, sample std (NaN with one seed), and the number of seeds.</summary>
/// <param name="Ci">The seeded 95 % bootstrap interval over the per-sample values (<see cref="ValueIntervals"/>); null when the value has none.</param>
public sealed record TableCell(double Mean, double Std, int N, ConfidenceInterval? Ci = null);

/// <summary>Models x (metric, split[, calibrated]) with mean +- std across seeds.</summary>
public sealed record SummaryTable(IReadOnlyList<string> Models, IReadOnlyList<TableColumn> Columns, IReadOnlyDictionary<(string Model, TableColumn Column), TableCell> Cells, int Seeds)
{
    public TableCell? Get(string model, TableColumn column) => Cells.TryGetValue((model, column), out var c) ? c : null;
}

/// <summary>The summary table in Markdown, CSV and LaTeX (booktabs).</summary>
public static class SummaryTables
{
    public static SummaryTable Build(ReportInput input)
    {
        if (input.Runs.Count == 0) throw new ArgumentException("A report needs at least one run.", nameof(input));
        var models = input.Runs.SelectMany(r => r.Models.Select(m => m.Name)).Distinct().ToList();
        var columns = input.Runs[0].Spec.Metrics
            .SelectMany(m => m.Splits.Select(s => new TableColumn(m.Name, SpecNames.Of(s), false))).ToList();
        var calibratedColumns = input.Calibrated.Select(c => new TableColumn(c.Metric, c.Split, true)).Distinct().ToList();
        columns.AddRange(calibratedColumns);

        var cells = new Dictionary<(string, TableColumn), TableCell>();
        int seed = input.Runs[0].Spec.Seed;
        foreach (var model in models)
            foreach (var column in columns)
            {
                var runs = column.Calibrated
                    ? input.Calibrated.Where(c => c.Model == model && c.Metric == column.Metric && c.Split == column.Split).Select(c => (Agg: c.Value, Values: c.Samples)).ToList()
                    : input.Runs.Select(r => r.Models.FirstOrDefault(m => m.Name == model)?.Metrics
                            .FirstOrDefault(v => v.Metric == column.Metric && SpecNames.Of(v.Split) == column.Split))
                        .OfType<MetricValues>().Select(v => (Agg: v.AggValue, v.Values)).ToList();
                var values = runs.Select(r => r.Agg).ToList();
                if (values.Count > 0)
                    cells[(model, column)] = new TableCell(Statistics.Mean(values), Statistics.StdDev(values), values.Count,
                        ValueIntervals.Of(runs, seed, ValueIntervals.Cell(model, column.Metric, column.Split, column.Calibrated),
                            ValueIntervals.AggregateOf(input.Runs[0].Spec, column.Metric, column.Split, column.Calibrated)));
            }
        return new SummaryTable(models, columns, cells, input.Runs.Select(r => r.Spec.Seed).Distinct().Count());
    }

    public static string MetricTitle(string metric) => metric switch
    {
        "es_exact" => "ES exact",
        "es_perturb" => "ES perturb",
        "em" => "EM",
        _ => metric,
    };

    /// <param name="intervals">Show each cell's 95 % bootstrap interval as " [low, high]" (report.intervals).</param>
    public static string Markdown(SummaryTable t, string caption, bool intervals = false)
    {
        var sb = new StringBuilder();
        sb.AppendLine(caption).AppendLine();
        sb.AppendTableHeader(["model"], t.Columns.Select(c => c.Title).ToList());
        foreach (var m in t.Models)
        {
            sb.Append("| ").Append(m).Append(" |");
            foreach (var c in t.Columns) sb.Append(' ').Append(Text(t.Get(m, c), " ± ")).Append(Interval(t.Get(m, c), intervals)).Append(" |");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>Wide CSV: one row per model; <c>&lt;metric&gt;_&lt;split&gt;_mean</c>, <c>_std</c> (empty with one seed), <c>_n</c>,
    /// <c>_ci_low</c>, <c>_ci_high</c> (the 95 % bootstrap interval; empty when the value has none).</summary>
    public static string Csv(SummaryTable t)
    {
        var sb = new StringBuilder();
        sb.Append("model");
        foreach (var c in t.Columns) sb.Append(',').Append(CsvHeader(c));
        sb.Append('\n');
        foreach (var m in t.Models)
        {
            sb.Append(CsvText.Field(m));
            foreach (var c in t.Columns) sb.Append(',').Append(CsvCells(t.Get(m, c)));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A booktabs table (needs \usepackage{booktabs}); metrics grouped with \cmidrule, splits below.</summary>
    public static string Latex(SummaryTable t, string caption, string label, bool intervals = false)
    {
        var groups = new List<(string Title, List<TableColumn> Columns)>();
        foreach (var c in t.Columns)
        {
            string title = SummaryTables.MetricTitle(c.Metric) + (c.Calibrated ? " (calibrated)" : "");
            if (groups.Count > 0 && groups[^1].Title == title) groups[^1].Columns.Add(c);
            else groups.Add((title, [c]));
        }
        var sb = new StringBuilder();
        sb.AppendLine("% Requires \\usepackage{booktabs}. Generated by dslunlearn; values are each metric's aggregate over samples" + (t.Seeds > 1 ? $", mean $\\pm$ std over {t.Seeds} seeds." : "."));
        sb.AppendLine("\\begin{table}[t]");
        sb.AppendLine("\\centering");
        sb.AppendLine("\\small");
        sb.AppendLine("\\begin{tabular}{l" + new string('r', t.Columns.Count) + "}");
        sb.AppendLine("\\toprule");
        sb.Append("Model");
        foreach (var g in groups) sb.Append(" & \\multicolumn{").Append(g.Columns.Count).Append("}{c}{").Append(TeX(g.Title)).Append('}');
        sb.AppendLine(" \\\\");
        int col = 2;
        var rules = new StringBuilder();
        foreach (var g in groups)
        {
            rules.Append($"\\cmidrule(lr){{{col}-{col + g.Columns.Count - 1}}}");
            col += g.Columns.Count;
        }
        sb.AppendLine(rules.ToString());
        sb.Append(' ');
        foreach (var c in t.Columns) sb.Append(" & ").Append(TeX(c.Split));
        sb.AppendLine(" \\\\");
        sb.AppendLine("\\midrule");
        foreach (var m in t.Models)
        {
            sb.Append(TeX(m));
            foreach (var c in t.Columns)
            {
                var cell = t.Get(m, c);
                sb.Append(" & ").Append(cell is null ? "--" : double.IsNaN(cell.Std) ? F(cell.Mean) : $"${F(cell.Mean)} \\pm {F(cell.Std)}$");
                if (intervals && cell?.Ci is { } ci) sb.Append($" {{\\scriptsize [{F(ci.Low)}, {F(ci.High)}]}}");
            }
            sb.AppendLine(" \\\\");
        }
        sb.AppendLine("\\bottomrule");
        sb.AppendLine("\\end{tabular}");
        sb.AppendLine($"\\caption{{{TeX(caption)}}}");
        sb.AppendLine($"\\label{{{label}}}");
        sb.AppendLine("\\end{table}");
        return sb.ToString();
    }

    /// <summary>The CSV header of a column's five fields (see <see cref="Csv"/>).</summary>
    public static string CsvHeader(TableColumn c) => string.Join(",", new[] { "_mean", "_std", "_n", "_ci_low", "_ci_high" }.Select(f => c.CsvName + f));

    /// <summary>A cell's five CSV fields: mean, std, n, CI low, CI high.</summary>
    public static string CsvCells(TableCell? cell)
        => cell is null ? ",,0,,"
            : $"{R(cell.Mean)},{(double.IsNaN(cell.Std) ? "" : R(cell.Std))},{cell.N.ToString(CultureInfo.InvariantCulture)},{(cell.Ci is { } ci ? R(ci.Low) : "")},{(cell.Ci is { } c2 ? R(c2.High) : "")}";

    /// <summary>" [low, high]" for Markdown when intervals are shown and the cell has one.</summary>
    private static string Interval(TableCell? cell, bool intervals) => intervals && cell?.Ci is { } ci ? $" [{F(ci.Low)}, {F(ci.High)}]" : "";

    private static string Text(TableCell? cell, string pm)
        => cell is null ? "n/a" : double.IsNaN(cell.Std) ? F(cell.Mean) : F(cell.Mean) + pm + F(cell.Std);

    public static string F(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a";
    private static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";


    public static string TeX(string s)
    {
        var sb = new StringBuilder();
        foreach (char ch in s)
            sb.Append(ch switch
            {
                '_' => "\\_", '%' => "\\%", '&' => "\\&", '#' => "\\#", '$' => "\\$", '{' => "\\{", '}' => "\\}",
                '~' => "\\textasciitilde{}", '^' => "\\textasciicircum{}", '\\' => "\\textbackslash{}",
                _ => ch.ToString(),
            });
        return sb.ToString();
    }
}
