using DslUnlearn.Metrics;
using DslUnlearn.Robustness;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Reporting;

/// <summary>
/// The red-teaming tables: tables/attacks.{md,csv} (every model's metrics with no attack and after each attack
/// pipeline) and tables/robustness.{md,csv} (per attack, metric and split the fit of after on before across
/// models: Pearson r, Spearman, slope, intercept; metrics ranked by mean Pearson r). First seed only.
/// </summary>
public static class AttackTables
{
    public const string NoAttack = "none";

    /// <summary>Long format: one row per (model, attack), "none" first, then the spec's attacks in order.</summary>
    public static (string Markdown, string Csv) Attacks(RunRecord run)
    {
        var columns = run.Spec.Metrics.SelectMany(m => m.Splits.Select(s => (Metric: m.Name, Split: s))).ToList();
        var attacks = run.Attacked.Select(a => a.Attack).Distinct().ToList();
        var models = run.Attacked.Select(a => a.Model).Distinct().ToList();
        var md = new StringBuilder();
        md.AppendLine($"{run.Spec.Name}: metrics (each metric's own aggregate over samples) of each model with no attack and after each attack pipeline; seed {run.Spec.Seed}. " +
                      "A robust forget metric stays low after an attack; a large rise means the information was hidden, not removed.");
        md.AppendLine();
        md.AppendTableHeader(["model", "attack"], columns.Select(c => $"{SummaryTables.MetricTitle(c.Metric)} {SpecNames.Of(c.Split)}").ToList());
        var csv = new StringBuilder("model,attack");
        foreach (var (m, s) in columns) csv.Append($",{m}_{SpecNames.Of(s)}");
        csv.Append('\n');
        foreach (var model in models)
        {
            var rows = new List<(string Attack, ModelEvaluation? Eval)> { (NoAttack, run.Models.FirstOrDefault(x => x.Name == model)) };
            rows.AddRange(attacks.Select(a => (a, run.Attacked.FirstOrDefault(x => x.Attack == a && x.Model == model)?.Evaluation)));
            foreach (var (attack, eval) in rows)
            {
                md.Append($"| {model} | {attack} |");
                csv.Append(CsvText.Field(model)).Append(',').Append(CsvText.Field(attack));
                foreach (var (m, s) in columns)
                {
                    double v = eval?.Get(m, s)?.AggValue ?? double.NaN;
                    md.Append(' ').Append(SummaryTables.F(v)).Append(" |");
                    csv.Append(',').Append(R(v));
                }
                md.AppendLine();
                csv.Append('\n');
            }
        }
        return (md.ToString(), csv.ToString());
    }

    /// <summary>The robustness analysis of the before/after points (see <see cref="RobustnessStudy.Analyze"/>).</summary>
    public static RobustnessReport Analyze(ReportInput input)
        => RobustnessStudy.Analyze(
            input.Robustness.Select(p => new Robustness.RobustnessPoint(p.Model, "", p.Attack, p.Metric, p.Split, p.Before, p.After)).ToList(),
            input.AttackPreservesKnowledge);

    public static (string Markdown, string Csv) RobustnessTables(ReportInput input)
    {
        var report = Analyze(input);
        var run = input.Runs[0];
        string md = $"{run.Spec.Name}: robustness of each metric to each attack, from the fit after = slope x before + intercept across " +
                    $"{input.Robustness.Select(p => p.Model).Distinct().Count()} models (seed {run.Spec.Seed}). Pearson r near 1 = the metric ranks models the same " +
                    "before and after the attack (the paper's robustness score); for attacks that should not change knowledge (jail-breaking, noising, probing) " +
                    "a slope near 1 is expected too. n/a = a constant series (r undefined).\n\n" + report.ToMarkdown();
        var csv = new StringBuilder("attack,metric,split,n,pearson_r,spearman,slope,intercept,preserves_knowledge,abs_slope_minus_1\n");
        foreach (var r in report.Rows)
            csv.Append(CsvText.Field(r.Attack)).Append(',').Append(CsvText.Field(r.Metric)).Append(',').Append(CsvText.Field(r.Split)).Append(',')
               .Append(r.N.ToString(CultureInfo.InvariantCulture)).Append(',').Append(R(r.Pearson)).Append(',').Append(R(r.Spearman)).Append(',')
               .Append(R(r.Slope)).Append(',').Append(R(r.Intercept)).Append(',').Append(r.PreservesKnowledge ? "true" : "false").Append(',')
               .Append(R(r.SlopeDeviation)).Append('\n');
        return (md, csv.ToString());
    }

    private static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
