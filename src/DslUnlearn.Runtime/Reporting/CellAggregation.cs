using DslUnlearn.IO;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Reporting;

/// <summary>Cells of an experiment-level sweep that differ only in their seed: one row group of the aggregate report.</summary>
/// <param name="Label">The cell id without its <c>seed=</c> part ("" when only the seed is swept).</param>
/// <param name="Runs">The group's cells, in cell order.</param>
/// <param name="Table">Models x (metric, split): mean, sample std and n over the group's cells.</param>
public sealed record CellGroup(string Label, IReadOnlyList<RunRecord> Runs, SummaryTable Table);

/// <summary>
/// The aggregate report of an experiment-level sweep (&lt;out&gt;/&lt;experiment&gt;/): cells that differ only in
/// <c>seed</c> are grouped, and each model's per-cell value (the metric's aggregate over samples, as in each cell's results.json
/// <c>agg_value</c>) is summarized as mean ± sample standard deviation with n; every other combination of swept values
/// is its own group. Writes results.json (per-cell and aggregate values), summary.md and tables/aggregate.{md,csv}.
/// </summary>
public static class CellAggregation
{
    public const int FormatVersion = 1;

    /// <summary>The cell id without its seed: "seed=2,finetune.lr=3e-3" -> "finetune.lr=3e-3"; "seed=2" -> "".</summary>
    public static string GroupOf(string? cell)
        => cell is null ? "" : string.Join(",", cell.Split(',').Where(p => !p.StartsWith("seed=", StringComparison.Ordinal)));

    /// <summary>Groups <paramref name="runs"/> (in cell order) by <see cref="GroupOf"/>, groups in order of first appearance.</summary>
    public static IReadOnlyList<CellGroup> Group(IReadOnlyList<RunRecord> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("An aggregate needs at least one cell.", nameof(runs));
        var order = new List<string>();
        var members = new Dictionary<string, List<RunRecord>>(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            string label = GroupOf(run.Spec.Cell);
            if (!members.TryGetValue(label, out var list))
            {
                members[label] = list = [];
                order.Add(label);
            }
            list.Add(run);
        }
        return order.Select(l => new CellGroup(l, members[l], SummaryTables.Build(new ReportInput { Runs = members[l] }))).ToList();
    }

    /// <summary>The folder of a cell under the experiment folder: cells/&lt;id&gt; ('/' and other unsafe characters become '_').</summary>
    public static string CellFolder(string cell)
    {
        var sb = new StringBuilder(cell.Length);
        foreach (char ch in cell) sb.Append(char.IsLetterOrDigit(ch) || ch is '=' or ',' or '.' or '-' or '_' or '+' ? ch : '_');
        return Path.Combine("cells", sb.ToString());
    }

    /// <summary>Writes results.json, summary.md and tables/aggregate.{md,csv} to <paramref name="outDir"/>; returns the groups.</summary>
    public static IReadOnlyList<CellGroup> Write(string outDir, IReadOnlyList<RunRecord> runs)
    {
        var groups = Group(runs);
        AtomicFile.Write(Path.Combine(outDir, "results.json"), s => WriteJson(s, runs, groups));
        AtomicFile.WriteText(Path.Combine(outDir, "summary.md"), Markdown(runs, groups));
        AtomicFile.WriteText(Path.Combine(outDir, "tables", "aggregate.md"), Table(groups));
        AtomicFile.WriteText(Path.Combine(outDir, "tables", "aggregate.csv"), Csv(groups));
        var pairs = RankStability.Pairs(groups);
        if (pairs.Count > 0)
        {
            AtomicFile.WriteText(Path.Combine(outDir, "tables", "ranking.md"), RankStability.Markdown(pairs));
            AtomicFile.WriteText(Path.Combine(outDir, "tables", "ranking.csv"), RankStability.Csv(pairs));
        }
        return groups;
    }

    /// <summary>The aggregate table: one row per (group, model); "mean ± std" (std with two or more cells).</summary>
    public static string Table(IReadOnlyList<CellGroup> groups)
    {
        bool labelled = groups.Count > 1 || groups[0].Label.Length > 0;
        var columns = groups[0].Table.Columns;
        var sb = new StringBuilder();
        sb.AppendTableHeader(labelled ? ["cells", "model"] : ["model"], columns.Select(c => c.Title).Prepend("n").ToList());
        foreach (var g in groups)
            foreach (var m in g.Table.Models)
            {
                if (labelled) sb.Append("| ").Append(g.Label.Length == 0 ? "(seeds only)" : g.Label).Append(' ');
                int n = columns.Select(c => g.Table.Get(m, c)?.N ?? 0).DefaultIfEmpty(0).Max();
                sb.Append("| ").Append(m).Append(" | ").Append(n.ToString(CultureInfo.InvariantCulture)).Append(" |");
                foreach (var c in columns)
                {
                    var cell = g.Table.Get(m, c);
                    sb.Append(' ').Append(cell is null ? "n/a" : double.IsNaN(cell.Std) ? SummaryTables.F(cell.Mean) : $"{SummaryTables.F(cell.Mean)} ± {SummaryTables.F(cell.Std)}").Append(" |");
                }
                sb.AppendLine();
            }
        return sb.ToString();
    }

    /// <summary>Long-ish CSV: one row per (group, model); &lt;metric&gt;_&lt;split&gt;_mean, _std (empty below two cells), _n, _ci_low, _ci_high (stratified bootstrap over the group's cells' samples).</summary>
    public static string Csv(IReadOnlyList<CellGroup> groups)
    {
        var columns = groups[0].Table.Columns;
        var sb = new StringBuilder("cells,model");
        foreach (var c in columns) sb.Append(',').Append(SummaryTables.CsvHeader(c));
        sb.Append('\n');
        foreach (var g in groups)
            foreach (var m in g.Table.Models)
            {
                sb.Append(CsvText.Field(g.Label)).Append(',').Append(CsvText.Field(m));
                foreach (var c in columns) sb.Append(',').Append(SummaryTables.CsvCells(g.Table.Get(m, c)));
                sb.Append('\n');
            }
        return sb.ToString();
    }

    private static string Markdown(IReadOnlyList<RunRecord> runs, IReadOnlyList<CellGroup> groups)
    {
        var s = runs[0].Spec;
        var sb = new StringBuilder();
        sb.AppendLine($"# {s.Name}: {runs.Count} cells");
        sb.AppendLine();
        if (s.Description.Length > 0) sb.AppendLine(s.Description).AppendLine();
        sb.AppendLine($"- spec: `{s.SourceFile}`; each cell's report is in `cells/<cell>/`:");
        foreach (var r in runs)
            sb.AppendLine($"  - `{r.Spec.Cell}`: [{CellFolder(r.Spec.Cell ?? "")}/summary.md]({CellFolder(r.Spec.Cell ?? "").Replace('\\', '/')}/summary.md)");
        sb.AppendLine("- aggregation: cells that differ only in `seed` form one group; each value is one cell's metric aggregate over samples, " +
                      "summarized as mean ± sample standard deviation over the group's n cells (no ± with one cell).");
        sb.AppendLine("- intervals: each cell's seeded 95 % bootstrap interval over its per-sample values (resampled within each seed) is in tables/aggregate.csv and results.json.");
        sb.AppendLine();
        sb.Append(Table(groups));
        string ranking = RankStability.Markdown(RankStability.Pairs(groups));
        if (ranking.Length > 0) sb.AppendLine().Append(ranking);
        return sb.ToString();
    }

    private static void WriteJson(Stream stream, IReadOnlyList<RunRecord> runs, IReadOnlyList<CellGroup> groups)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        var s = runs[0].Spec;
        w.WriteStartObject();
        w.WriteNumber("format_version", FormatVersion);
        w.WriteString("experiment", s.Name);
        w.WriteString("source", s.SourceFile);
        w.WriteStartArray("cells");
        foreach (var r in runs)
        {
            w.WriteStartObject();
            w.WriteString("id", r.Spec.Cell);
            w.WriteString("group", GroupOf(r.Spec.Cell));
            w.WriteNumber("seed", r.Spec.Seed);
            w.WriteString("results", CellFolder(r.Spec.Cell ?? "").Replace('\\', '/') + "/results.json");
            w.WriteStartObject("models");
            foreach (var m in r.Models)
            {
                w.WriteStartObject(m.Name);
                foreach (var metric in m.Metrics.GroupBy(v => v.Metric))
                {
                    w.WriteStartObject(metric.Key);
                    foreach (var v in metric) w.WriteNumberOrNull(SpecNames.Of(v.Split), v.AggValue);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("aggregate");
        foreach (var g in groups)
        {
            w.WriteStartObject();
            w.WriteString("group", g.Label);
            w.WriteStartArray("cells");
            foreach (var r in g.Runs) w.WriteStringValue(r.Spec.Cell);
            w.WriteEndArray();
            w.WriteStartArray("seeds");
            foreach (var r in g.Runs) w.WriteNumberValue(r.Spec.Seed);
            w.WriteEndArray();
            w.WriteStartObject("models");
            foreach (var m in g.Table.Models)
            {
                w.WriteStartObject(m);
                foreach (var metric in g.Table.Columns.GroupBy(c => c.Metric))
                {
                    w.WriteStartObject(metric.Key);
                    foreach (var c in metric)
                    {
                        if (g.Table.Get(m, c) is not { } cell) continue;
                        w.WriteStartObject(c.Split);
                        w.WriteNumberOrNull("mean", cell.Mean);
                        w.WriteNumberOrNull("std", cell.Std);
                        w.WriteNumber("n", cell.N);
                        if (cell.Ci is { } ci)
                        {
                            w.WriteNumberOrNull("ci_low", ci.Low);
                            w.WriteNumberOrNull("ci_high", ci.High);
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("ranking_stability");
        foreach (var p in RankStability.Pairs(groups))
        {
            w.WriteStartObject();
            w.WriteString("group", p.Group);
            w.WriteString("metric", p.Metric);
            w.WriteString("split", p.Split);
            w.WriteString("a", p.A);
            w.WriteString("b", p.B);
            w.WriteNumber("a_higher", p.AHigher);
            w.WriteNumber("b_higher", p.BHigher);
            w.WriteNumber("ties", p.Ties);
            w.WriteNumber("n", p.N);
            w.WriteNumberOrNull("kept", p.Kept);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
