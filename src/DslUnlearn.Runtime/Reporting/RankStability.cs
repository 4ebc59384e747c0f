using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Reporting;

/// <summary>
/// How often a pair of unlearned models keeps its order on one metric and split across the seeds of a cell group.
/// <see cref="Kept"/> = max(AHigher, BHigher) / N: 1 means every seed ranks the pair the same way; 0.5 with two
/// models means the seed decides. Ties count against keeping the order.
/// </summary>
public sealed record PairOrder(string Group, string Metric, string Split, string A, string B, int AHigher, int BHigher, int Ties, int N)
{
    public double Kept => N == 0 ? double.NaN : (double)Math.Max(AHigher, BHigher) / N;
}

/// <summary>Ranking stability across seeds (cells that differ only in seed): every pair of unlearned models on every column.</summary>
public static class RankStability
{
    /// <summary>Pairs of every group with at least two seeds; values that are NaN in a seed leave that seed out of the pair.</summary>
    public static IReadOnlyList<PairOrder> Pairs(IReadOnlyList<CellGroup> groups)
    {
        var pairs = new List<PairOrder>();
        foreach (var g in groups.Where(g => g.Runs.Count >= 2))
        {
            var models = g.Runs[0].Models.Where(m => m.Kind == "unlearned").Select(m => m.Name).ToList();
            foreach (var column in g.Table.Columns.Where(c => !c.Calibrated))
                for (int i = 0; i < models.Count; i++)
                    for (int j = i + 1; j < models.Count; j++)
                    {
                        int a = 0, b = 0, ties = 0, n = 0;
                        foreach (var run in g.Runs)
                        {
                            double va = Value(run, models[i], column), vb = Value(run, models[j], column);
                            if (!double.IsFinite(va) || !double.IsFinite(vb)) continue;
                            n++;
                            if (va > vb) a++;
                            else if (vb > va) b++;
                            else ties++;
                        }
                        pairs.Add(new PairOrder(g.Label, column.Metric, column.Split, models[i], models[j], a, b, ties, n));
                    }
        }
        return pairs;
    }

    /// <summary>Markdown: one row per pair, plus each column's mean share kept; empty when no group has two seeds.</summary>
    public static string Markdown(IReadOnlyList<PairOrder> pairs)
    {
        if (pairs.Count == 0) return "";
        var sb = new StringBuilder();
        sb.AppendLine("Ranking stability across seeds: for each pair of unlearned models, in how many seeds A is above B, B above A, or tied; " +
                      "\"kept\" is the share of seeds in the majority order (1 = the seed never changes the order).");
        sb.AppendLine();
        sb.AppendLine("| cells | metric | split | A | B | A > B | B > A | ties | kept |");
        sb.AppendLine("|---|---|---|---|---|---:|---:|---:|---:|");
        foreach (var p in pairs)
            sb.AppendLine($"| {(p.Group.Length == 0 ? "(seeds only)" : p.Group)} | {p.Metric} | {p.Split} | {p.A} | {p.B} | {p.AHigher} | {p.BHigher} | {p.Ties} | {SummaryTables.F(p.Kept)} |");
        return sb.ToString();
    }

    public static string Csv(IReadOnlyList<PairOrder> pairs)
    {
        var sb = new StringBuilder("cells,metric,split,a,b,a_higher,b_higher,ties,n,kept\n");
        foreach (var p in pairs)
            sb.Append(string.Join(",", CsvText.Field(p.Group), CsvText.Field(p.Metric), CsvText.Field(p.Split), CsvText.Field(p.A), CsvText.Field(p.B),
                p.AHigher, p.BHigher, p.Ties, p.N, double.IsFinite(p.Kept) ? p.Kept.ToString("R", CultureInfo.InvariantCulture) : "")).Append('\n');
        return sb.ToString();
    }

    private static double Value(RunRecord run, string model, TableColumn column)
        => run.Models.FirstOrDefault(m => m.Name == model)?.Metrics.FirstOrDefault(v => v.Metric == column.Metric && SpecNames.Of(v.Split) == column.Split)?.AggValue ?? double.NaN;

}
