using System.Globalization;
using System.Text;
using DslUnlearn.Metrics;
using DslUnlearn.Robustness;

namespace DslUnlearn.Reporting;

/// <summary>One attack's meta-evaluation score of a metric on a split: the mean over the unlearned models with a defined value.</summary>
public sealed record MetaEvalScore(string Attack, double Value, int Models);

/// <summary>
/// OpenUnlearning's meta-evaluation of one (metric, split): Q per quantization pipeline, R per relearning pipeline
/// (empty without an oracle), their means over pipelines, and the harmonic mean of the two.
/// </summary>
public sealed record MetaEvalRow(string Metric, string Split, IReadOnlyList<MetaEvalScore> Quantization, IReadOnlyList<MetaEvalScore> Relearning,
    double Q, double R, double HarmonicMean);

/// <summary>
/// tables/meta_eval.{md,csv}: OpenUnlearning's meta-evaluation scores (<see cref="MetaEvaluation"/>) from the same
/// before/after points as the robustness table.
/// <list type="bullet">
/// <item>Q, per pipeline that is exactly one <c>quantize</c> step: Q = min(m_before / m_after, 1) per unlearned model, then the
/// mean over models. For lower-is-better metrics (nll, perplexity; <see cref="MetricDirection"/>) it is taken on 1/m, so Q &lt; 1
/// always means "quantization brought knowledge back".</item>
/// <item>R, per pipeline that is exactly one <c>relearn</c> step, only when the run has an oracle (retain-only) model:
/// R = min((m_oracle_after - m_oracle_before) / (m_unl_after - m_unl_before), 1) per unlearned model, then the mean. A ratio of
/// differences does not depend on the metric's direction. A model whose value did not move has no R (division by zero).</item>
/// <item>Q and R are the means over their pipelines; the harmonic mean 2RQ / (R + Q) needs both.</item>
/// </list>
/// Metrics are ranked by the harmonic mean on the forget split (by Q when there is no R), as OpenUnlearning ranks them.
/// </summary>
public static class MetaEvalTables
{
    public const string QuantizeAttack = "quantize";
    public const string RelearnAttack = "relearn";

    public static IReadOnlyList<MetaEvalRow> Compute(ReportInput input)
    {
        var quantize = Pipelines(input, QuantizeAttack);
        var relearn = Pipelines(input, RelearnAttack);
        var unlearned = input.UnlearnedModels.Count > 0 ? new HashSet<string>(input.UnlearnedModels, StringComparer.Ordinal) : null;
        var points = input.Robustness.Where(p => unlearned is null || unlearned.Contains(p.Model)).ToList();
        var oracle = input.OraclePoints.ToDictionary(p => (p.Metric, p.Attack, p.Split));
        var rows = new List<MetaEvalRow>();
        foreach (var g in points.GroupBy(p => (p.Metric, p.Split)))
        {
            bool lower = MetricDirection.LowerIsBetter(g.Key.Metric);
            var q = quantize.Select(a => Mean(a, g.Where(p => p.Attack == a).Select(p =>
                lower ? MetaEvaluation.Quantization(1 / p.Before, 1 / p.After) : MetaEvaluation.Quantization(p.Before, p.After)))).ToList();
            var r = new List<MetaEvalScore>();
            if (input.OraclePoints.Count > 0)
                foreach (var a in relearn)
                    if (oracle.TryGetValue((g.Key.Metric, a, g.Key.Split), out var o))
                        r.Add(Mean(a, g.Where(p => p.Attack == a).Select(p => MetaEvaluation.Relearning(o.Before, o.After, p.Before, p.After))));
            if (q.Count == 0 && r.Count == 0) continue;
            double qMean = MeanOf(q), rMean = MeanOf(r);
            rows.Add(new MetaEvalRow(g.Key.Metric, g.Key.Split, q, r, qMean, rMean, MetaEvaluation.HarmonicMean(rMean, qMean)));
        }
        return rows;
    }

    /// <summary>Metrics by their forget-split harmonic mean (or Q when R is missing), best first; NaN last.</summary>
    public static IReadOnlyList<MetaEvalRow> Ranking(IReadOnlyList<MetaEvalRow> rows)
    {
        var forget = rows.Where(r => r.Split == "forget").ToList();
        var pool = forget.Count > 0 ? forget : rows.ToList();
        return pool.OrderByDescending(r => Score(r) is var s && double.IsNaN(s) ? double.NegativeInfinity : s)
                   .ThenBy(r => r.Metric, StringComparer.Ordinal).ThenBy(r => r.Split, StringComparer.Ordinal).ToList();
    }

    private static double Score(MetaEvalRow r) => double.IsNaN(r.HarmonicMean) && r.Relearning.Count == 0 ? r.Q : r.HarmonicMean;

    public static (string Markdown, string Csv) Tables(ReportInput input)
    {
        var rows = Compute(input);
        var run = input.Runs[0];
        var quantize = Pipelines(input, QuantizeAttack);
        var relearn = Pipelines(input, RelearnAttack);
        bool hasOracle = input.OraclePoints.Count > 0;
        int models = input.Robustness.Select(p => p.Model).Where(m => input.UnlearnedModels.Count == 0 || input.UnlearnedModels.Contains(m)).Distinct().Count();
        var md = new StringBuilder();
        md.Append($"{run.Spec.Name}: OpenUnlearning's meta-evaluation scores, each the mean over {models} unlearned models (seed {run.Spec.Seed}). ")
          .Append("Q = min(before / after, 1) for a quantization pipeline (1/m for nll and perplexity): 1 = quantization brought nothing back. ");
        md.Append(hasOracle
            ? "R = min((oracle after - oracle before) / (unlearned after - unlearned before), 1) for a relearning pipeline, with the oracle (retain-only) model as the retain model: 1 = relearning moves the metric no more than it moves a model that never saw the forget set. "
            : "R is not computed: the run has no oracle (retain-only) model; set `finetune: { oracle: true }` in the spec to get it. ");
        md.Append("HM = harmonic mean of R and Q. n/a = undefined (no pipeline of that kind, or a zero denominator).").AppendLine().AppendLine();
        md.Append("| metric | split |");
        foreach (var a in quantize) md.Append($" Q {a} |");
        foreach (var a in hasOracle ? relearn : []) md.Append($" R {a} |");
        md.AppendLine(" Q | R | HM |");
        md.Append("|---|---|");
        foreach (var _ in quantize) md.Append("---:|");
        foreach (var _ in hasOracle ? relearn : []) md.Append("---:|");
        md.AppendLine("---:|---:|---:|");
        foreach (var r in rows)
        {
            md.Append($"| {r.Metric} | {r.Split} |");
            foreach (var a in quantize) md.Append($" {SummaryTables.F(r.Quantization.FirstOrDefault(s => s.Attack == a)?.Value ?? double.NaN)} |");
            foreach (var a in hasOracle ? relearn : []) md.Append($" {SummaryTables.F(r.Relearning.FirstOrDefault(s => s.Attack == a)?.Value ?? double.NaN)} |");
            md.AppendLine($" {SummaryTables.F(r.Q)} | {SummaryTables.F(r.R)} | {SummaryTables.F(r.HarmonicMean)} |");
        }
        var ranking = Ranking(rows);
        md.AppendLine().AppendLine(hasOracle ? "| rank | metric | split | HM | R | Q |" : "| rank | metric | split | Q (no R without an oracle) |");
        md.AppendLine(hasOracle ? "|---:|---|---|---:|---:|---:|" : "|---:|---|---|---:|");
        for (int i = 0; i < ranking.Count; i++)
        {
            var r = ranking[i];
            md.AppendLine(hasOracle
                ? $"| {i + 1} | {r.Metric} | {r.Split} | {SummaryTables.F(r.HarmonicMean)} | {SummaryTables.F(r.R)} | {SummaryTables.F(r.Q)} |"
                : $"| {i + 1} | {r.Metric} | {r.Split} | {SummaryTables.F(r.Q)} |");
        }

        var csv = new StringBuilder("metric,split,score,attack,value,models\n");
        foreach (var r in rows)
        {
            foreach (var s in r.Quantization) csv.Append($"{r.Metric},{r.Split},Q,{Field(s.Attack)},{V(s.Value)},{s.Models}\n");
            foreach (var s in r.Relearning) csv.Append($"{r.Metric},{r.Split},R,{Field(s.Attack)},{V(s.Value)},{s.Models}\n");
            csv.Append($"{r.Metric},{r.Split},Q,,{V(r.Q)},\n");
            csv.Append($"{r.Metric},{r.Split},R,,{V(r.R)},\n");
            csv.Append($"{r.Metric},{r.Split},HM,,{V(r.HarmonicMean)},\n");
        }
        return (md.ToString(), csv.ToString());
    }

    /// <summary>The attack pipelines that are exactly one step of <paramref name="attack"/>, in spec order.</summary>
    private static List<string> Pipelines(ReportInput input, string attack)
        => input.AttackChains.Where(kv => kv.Value.Count == 1 && kv.Value[0] == attack).Select(kv => kv.Key).ToList();

    private static MetaEvalScore Mean(string attack, IEnumerable<double> values)
    {
        var ok = values.Where(v => !double.IsNaN(v)).ToArray();
        return new MetaEvalScore(attack, ok.Length == 0 ? double.NaN : ok.Average(), ok.Length);
    }

    private static double MeanOf(IReadOnlyList<MetaEvalScore> scores)
    {
        var ok = scores.Select(s => s.Value).Where(v => !double.IsNaN(v)).ToArray();
        return ok.Length == 0 ? double.NaN : ok.Average();
    }

    private static string V(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
    private static string Field(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
