using DslUnlearn.Metrics;
using DslUnlearn.Robustness;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Reporting;

/// <summary>One attack's meta-evaluation score of a metric on a split: the mean over the unlearned models with a defined value.</summary>
public sealed record MetaEvalScore(string Attack, double Value, int Models);

/// <summary>
/// OpenUnlearning's meta-evaluation of one (metric, split): faithfulness over the pools (forget split only; NaN without pools),
/// Q per quantization pipeline, R per relearning pipeline (empty without an oracle), their means over pipelines, the harmonic
/// mean of R and Q (<see cref="HarmonicMean"/>, both needed), robustness (that harmonic mean, or the one of R and Q there is)
/// and the overall score, the harmonic mean of faithfulness and robustness (or the one there is).
/// </summary>
public sealed record MetaEvalRow(string Metric, string Split, IReadOnlyList<MetaEvalScore> Quantization, IReadOnlyList<MetaEvalScore> Relearning,
    double Q, double R, double HarmonicMean)
{
    /// <summary>AUC of the metric telling the target pool (positives) from the oracle pool (negatives); NaN without pools or off forget.</summary>
    public double Faithfulness { get; init; } = double.NaN;
    public int Positives { get; init; }
    public int Negatives { get; init; }
    public double PositiveMean { get; init; } = double.NaN;
    public double NegativeMean { get; init; } = double.NaN;
    /// <summary>Unlearned models of this (metric, split) before the filters, and how many of them entered R and Q (<see cref="MetaEvalFilter"/>).</summary>
    public int Models { get; init; }
    public int Kept { get; init; }
    /// <summary>The pools' "still knows" threshold the knowledge filter used (higher = more knowledge orientation), NaN when none.</summary>
    public double Threshold { get; init; } = double.NaN;
    public double Robustness => MetaEvaluation.Robustness(R, Q);
    public double Overall => MetaEvaluation.Overall(Faithfulness, Robustness);
}

/// <summary>
/// tables/meta_eval.{md,csv}: OpenUnlearning's meta-evaluation scores (<see cref="MetaEvaluation"/>): robustness from the same
/// before/after points as the robustness table, faithfulness from the pools of <c>meta_eval.faithfulness</c>.
/// <list type="bullet">
/// <item>Faithfulness, on the forget split: the AUC of the metric's values with the pool targets as positives and the pool oracles
/// as negatives, read as "higher = more knowledge" (lower-is-better metrics are flipped).</item>
/// <item>Q, per pipeline that is exactly one <c>quantize</c> step: Q = min(m_before / m_after, 1) per unlearned model, then the
/// mean over models. For lower-is-better metrics (nll, perplexity, truth_ratio's closer_to_1; <see cref="MetricDirection"/>) it is taken on 1/m, so Q &lt; 1
/// always means "quantization brought knowledge back".</item>
/// <item>R, per pipeline that is exactly one <c>relearn</c> step, only when the run has an oracle (retain-only) model:
/// R = min((m_oracle_after - m_oracle_before) / (m_unl_after - m_unl_before), 1) per unlearned model, then the mean. A ratio of
/// differences does not depend on the metric's direction. A model whose value did not move has no R (division by zero).</item>
/// <item>Q and R are the means over their pipelines; HM = 2RQ / (R + Q) needs both; robustness = HM, or the one of R and Q
/// there is; overall = HM(faithfulness, robustness), or the one of them there is.</item>
/// </list>
/// Metrics are ranked on the forget split, as OpenUnlearning ranks them: by the overall score with pools, else by HM (by Q when
/// there is no R).
/// </summary>
public static class MetaEvalTables
{
    public const string QuantizeAttack = "quantize";
    public const string RelearnAttack = "relearn";

    /// <summary>Whether the run has anything to meta-evaluate: a quantize or relearn pipeline with robustness points, or faithfulness pools.</summary>
    public static bool Applies(ReportInput input)
        => input.FaithfulnessPools.Count > 0
           || (input.Robustness.Count > 0 && input.AttackChains.Values.Any(c => c.Count == 1 && c[0] is QuantizeAttack or RelearnAttack));

    public static IReadOnlyList<MetaEvalRow> Compute(ReportInput input) => Compute(input, MetaEvalFilter.For(input));

    private static IReadOnlyList<MetaEvalRow> Compute(ReportInput input, MetaEvalFilter filter)
    {
        var quantize = Pipelines(input, QuantizeAttack);
        var relearn = Pipelines(input, RelearnAttack);
        var unlearned = input.UnlearnedModels.Count > 0 ? new HashSet<string>(input.UnlearnedModels, StringComparer.Ordinal) : null;
        var points = input.Robustness.Where(p => unlearned is null || unlearned.Contains(p.Model)).ToList();
        var oracle = input.OraclePoints.ToDictionary(p => (p.Metric, p.Attack, p.Split));
        var rows = new List<MetaEvalRow>();
        foreach (var all in points.GroupBy(p => (p.Metric, p.Split)))
        {
            // OpenUnlearning scores robustness only on the unlearned models its filters keep (MetaEvalFilter).
            var g = all.Where(filter.Keeps).ToList();
            var key = all.Key;
            bool lower = input.LowerIsBetter(key.Metric, key.Split);
            var q = quantize.Select(a => Mean(a, g.Where(p => p.Attack == a).Select(p =>
                lower ? MetaEvaluation.Quantization(1 / p.Before, 1 / p.After) : MetaEvaluation.Quantization(p.Before, p.After)))).ToList();
            var r = new List<MetaEvalScore>();
            if (input.OraclePoints.Count > 0)
                foreach (var a in relearn)
                    if (oracle.TryGetValue((key.Metric, a, key.Split), out var o))
                        r.Add(Mean(a, g.Where(p => p.Attack == a).Select(p => MetaEvaluation.Relearning(o.Before, o.After, p.Before, p.After))));
            if (q.Count == 0 && r.Count == 0) continue;
            double qMean = MeanOf(q), rMean = MeanOf(r);
            rows.Add(new MetaEvalRow(key.Metric, key.Split, q, r, qMean, rMean, MetaEvaluation.HarmonicMean(rMean, qMean))
            {
                Models = all.Select(p => p.Model).Distinct().Count(), Kept = g.Select(p => p.Model).Distinct().Count(),
                Threshold = filter.Threshold(key.Metric, key.Split),
            });
        }
        return WithFaithfulness(input, rows);
    }

    /// <summary>Faithfulness joins the forget rows; a metric with pool values but no robustness row gets a row of its own.</summary>
    private static IReadOnlyList<MetaEvalRow> WithFaithfulness(ReportInput input, List<MetaEvalRow> rows)
    {
        foreach (var g in input.FaithfulnessPools.GroupBy(v => (v.Metric, v.Split)))
        {
            var pos = g.Where(v => v.Positive).Select(v => v.Value).ToArray();
            var neg = g.Where(v => !v.Positive).Select(v => v.Value).ToArray();
            if (pos.Length == 0 || neg.Length == 0) continue;
            int i = rows.FindIndex(r => r.Metric == g.Key.Metric && r.Split == g.Key.Split);
            var row = i >= 0 ? rows[i] : new MetaEvalRow(g.Key.Metric, g.Key.Split, [], [], double.NaN, double.NaN, double.NaN);
            row = row with
            {
                Faithfulness = MetaEvaluation.Faithfulness(pos, neg, input.LowerIsBetter(g.Key.Metric, g.Key.Split)),
                Positives = pos.Length, Negatives = neg.Length, PositiveMean = pos.Average(), NegativeMean = neg.Average(),
            };
            if (i >= 0) rows[i] = row; else rows.Add(row);
        }
        return rows;
    }

    /// <summary>Metrics by their forget-split score, best first; NaN last. The score: overall with pools, else HM (or Q when R is missing).</summary>
    public static IReadOnlyList<MetaEvalRow> Ranking(IReadOnlyList<MetaEvalRow> rows)
    {
        var forget = rows.Where(r => r.Split == "forget").ToList();
        var pool = forget.Count > 0 ? forget : rows.ToList();
        bool pools = rows.Any(r => r.Positives > 0);
        return pool.OrderByDescending(r => (pools ? r.Overall : Score(r)) is var s && double.IsNaN(s) ? double.NegativeInfinity : s)
                   .ThenBy(r => r.Metric, StringComparer.Ordinal).ThenBy(r => r.Split, StringComparer.Ordinal).ToList();
    }

    private static double Score(MetaEvalRow r) => double.IsNaN(r.HarmonicMean) && r.Relearning.Count == 0 ? r.Q : r.HarmonicMean;

    public static (string Markdown, string Csv) Tables(ReportInput input)
    {
        var filter = MetaEvalFilter.For(input);
        var rows = Compute(input, filter);
        var run = input.Runs[0];
        var quantize = Pipelines(input, QuantizeAttack);
        var relearn = Pipelines(input, RelearnAttack);
        bool hasOracle = input.OraclePoints.Count > 0;
        bool pools = input.FaithfulnessPools.Count > 0;
        bool robust = quantize.Count + relearn.Count > 0 && input.Robustness.Count > 0;
        int models = input.Robustness.Select(p => p.Model).Where(m => input.UnlearnedModels.Count == 0 || input.UnlearnedModels.Contains(m)).Distinct().Count();
        var md = new StringBuilder();
        md.Append($"{run.Spec.Name}: OpenUnlearning's meta-evaluation scores");
        md.Append(robust ? $", robustness each the mean over {models} unlearned models (seed {run.Spec.Seed}). " : $" (seed {run.Spec.Seed}). ");
        if (pools)
        {
            var seeds = input.FaithfulnessPools.Select(v => v.Seed).Distinct().Order().ToList();
            var sizes = input.FaithfulnessPools.Select(v => v.Size).Distinct().ToList();
            int targets = input.FaithfulnessPools.Select(v => (v.Seed, v.Size, v.Positive)).Distinct().Count(m => m.Positive);
            string at = sizes.Count > 1 || sizes[0] is not null ? $" at model sizes {string.Join(", ", sizes.Select(z => z ?? "the spec's"))}" : "";
            md.Append($"F (faithfulness) = AUC with which the metric on forget tells the {targets} targets (fine-tuned on forget and retain, seeds {string.Join(", ", seeds)}{at}) ")
              .Append(at.Length > 0 ? "from the oracles of the same seeds and sizes (retain only), " : "from the oracles of the same seeds (retain only), ")
              .Append("read as higher = more knowledge (flipped where lower means more knowledge: nll, perplexity, and on forget truth_ratio with closer_to_1 and forget_quality): 1 = every target above every oracle, 0.5 = chance. ");
        }
        else
            md.Append("F (faithfulness) is not computed: set `meta_eval: { faithfulness: { seeds: [...] } }` in the spec to train the target and oracle pools. ");
        if (robust)
        {
            md.Append("Q = min(before / after, 1) for a quantization pipeline (1/m where lower means more knowledge: nll, perplexity, and on forget truth_ratio with closer_to_1 and forget_quality): 1 = quantization brought nothing back. ");
            md.Append(hasOracle
                ? "R = min((oracle after - oracle before) / (unlearned after - unlearned before), 1) for a relearning pipeline, with the oracle (retain-only) model as the retain model: 1 = relearning moves the metric no more than it moves a model that never saw the forget set. "
                : "R is not computed: the run has no oracle (retain-only) model; set `finetune: { oracle: true }` in the spec to get it. ");
            md.Append("HM = harmonic mean of R and Q. ");
        }
        else
            md.Append("Q and R are not computed: the spec has no pipeline that is exactly one `quantize` or one `relearn` attack. ");
        if (pools) md.Append("Overall = harmonic mean of F and the robustness (HM, or the one of R and Q there is). ");
        if (robust) md.Append(FilterText(filter, models));
        md.Append("n/a = undefined (no pipeline of that kind, no pool, or a zero denominator).").AppendLine().AppendLine();

        var relearnShown = hasOracle ? relearn : [];
        md.Append("| metric | split |");
        if (pools) md.Append(" F |");
        foreach (var a in quantize) md.Append($" Q {a} |");
        foreach (var a in relearnShown) md.Append($" R {a} |");
        md.Append(" Q | R | HM |");
        if (filter.Active && robust) md.Append(" kept |");
        md.AppendLine(pools ? " overall |" : "");
        md.Append("|---|---|");
        if (pools) md.Append("---:|");
        foreach (var _ in quantize) md.Append("---:|");
        foreach (var _ in relearnShown) md.Append("---:|");
        if (filter.Active && robust) md.Append("---:|");
        md.AppendLine(pools ? "---:|---:|---:|---:|" : "---:|---:|---:|");
        foreach (var r in rows)
        {
            md.Append($"| {r.Metric} | {r.Split} |");
            if (pools) md.Append($" {SummaryTables.F(r.Faithfulness)} |");
            foreach (var a in quantize) md.Append($" {SummaryTables.F(r.Quantization.FirstOrDefault(s => s.Attack == a)?.Value ?? double.NaN)} |");
            foreach (var a in relearnShown) md.Append($" {SummaryTables.F(r.Relearning.FirstOrDefault(s => s.Attack == a)?.Value ?? double.NaN)} |");
            md.Append($" {SummaryTables.F(r.Q)} | {SummaryTables.F(r.R)} | {SummaryTables.F(r.HarmonicMean)} |");
            if (filter.Active && robust) md.Append(r.Models > 0 ? $" {r.Kept}/{r.Models} |" : " n/a |");
            md.AppendLine(pools ? $" {SummaryTables.F(r.Overall)} |" : "");
        }
        var ranking = Ranking(rows);
        md.AppendLine();
        if (pools)
        {
            md.AppendLine("| rank | metric | split | overall | F | robustness | R | Q |").AppendLine("|---:|---|---|---:|---:|---:|---:|---:|");
            for (int i = 0; i < ranking.Count; i++)
            {
                var r = ranking[i];
                md.AppendLine($"| {i + 1} | {r.Metric} | {r.Split} | {SummaryTables.F(r.Overall)} | {SummaryTables.F(r.Faithfulness)} | {SummaryTables.F(r.Robustness)} | {SummaryTables.F(r.R)} | {SummaryTables.F(r.Q)} |");
            }
            md.AppendLine().AppendLine("Faithfulness pools (forget split): the metric's mean over the targets and over the oracles.").AppendLine();
            md.AppendLine("| metric | split | targets | mean | oracles | mean | F |").AppendLine("|---|---|---:|---:|---:|---:|---:|");
            foreach (var r in rows.Where(r => r.Positives > 0))
                md.AppendLine($"| {r.Metric} | {r.Split} | {r.Positives} | {SummaryTables.F(r.PositiveMean)} | {r.Negatives} | {SummaryTables.F(r.NegativeMean)} | {SummaryTables.F(r.Faithfulness)} |");
        }
        else
        {
            md.AppendLine(hasOracle ? "| rank | metric | split | HM | R | Q |" : "| rank | metric | split | Q (no R without an oracle) |");
            md.AppendLine(hasOracle ? "|---:|---|---|---:|---:|---:|" : "|---:|---|---|---:|");
            for (int i = 0; i < ranking.Count; i++)
            {
                var r = ranking[i];
                md.AppendLine(hasOracle
                    ? $"| {i + 1} | {r.Metric} | {r.Split} | {SummaryTables.F(r.HarmonicMean)} | {SummaryTables.F(r.R)} | {SummaryTables.F(r.Q)} |"
                    : $"| {i + 1} | {r.Metric} | {r.Split} | {SummaryTables.F(r.Q)} |");
            }
        }

        var csv = new StringBuilder("metric,split,score,attack,value,models\n");
        foreach (var r in rows)
        {
            if (pools && r.Positives > 0) csv.Append($"{r.Metric},{r.Split},F,,{V(r.Faithfulness)},{r.Positives + r.Negatives}\n");
            foreach (var s in r.Quantization) csv.Append($"{r.Metric},{r.Split},Q,{CsvText.Field(s.Attack)},{V(s.Value)},{s.Models}\n");
            foreach (var s in r.Relearning) csv.Append($"{r.Metric},{r.Split},R,{CsvText.Field(s.Attack)},{V(s.Value)},{s.Models}\n");
            csv.Append($"{r.Metric},{r.Split},Q,,{V(r.Q)},\n");
            csv.Append($"{r.Metric},{r.Split},R,,{V(r.R)},\n");
            csv.Append($"{r.Metric},{r.Split},HM,,{V(r.HarmonicMean)},\n");
            if (filter.Active && r.Models > 0)
            {
                csv.Append($"{r.Metric},{r.Split},kept,,{r.Kept},{r.Models}\n");
                csv.Append($"{r.Metric},{r.Split},dropped,,{r.Models - r.Kept},{r.Models}\n");
            }
            if (pools)
            {
                csv.Append($"{r.Metric},{r.Split},robustness,,{V(r.Robustness)},\n");
                csv.Append($"{r.Metric},{r.Split},overall,,{V(r.Overall)},\n");
            }
        }
        return (md.ToString(), csv.ToString());
    }

    /// <summary>The sentence on OpenUnlearning's model filter: which filters ran, with what threshold, and what they dropped.</summary>
    private static string FilterText(MetaEvalFilter filter, int models)
    {
        // Without a meta_eval section the table stays as it was (its report key does not move either).
        if (!filter.Active) return "";
        var text = new StringBuilder("Q and R average only over the unlearned models OpenUnlearning's filter keeps (column kept = kept/all). ");
        if (filter.Utility is { } u)
        {
            string on = $"{u.Metric} on {SpecNames.Of(u.Split)}";
            if (filter.UtilityNotApplied is { } why) text.Append($"Utility filter not applied: {why}. ");
            else
            {
                text.Append($"Utility filter: {on} at least {SummaryTables.F(u.MinShare)} x the target's ({SummaryTables.F(filter.TargetUtility)}): ")
                    .Append($"kept {models - filter.UtilityDropped.Count} of {models}");
                text.Append(filter.UtilityDropped.Count > 0 ? $", dropped {string.Join(", ", filter.UtilityDropped)}. " : ". ");
            }
        }
        else text.Append("Utility filter off (meta_eval.utility.min_share: 0). ");
        if (filter.KnowledgeFilter)
            text.Append(filter.Thresholds.Count > 0
                ? "Knowledge filter (forget rows): a model whose value before the attack lies beyond the faithfulness pools' accuracy-best threshold (" +
                  string.Join(", ", filter.Thresholds.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {SummaryTables.F(filter.LowerIsBetter(kv.Key, "forget") ? -kv.Value : kv.Value)}")) +
                  ") still looks like a target and is left out. "
                : "Knowledge filter: not applied (no faithfulness pools). ");
        return text.ToString();
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
}
