using DslUnlearn.Attacks;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Stats;

namespace DslUnlearn.Robustness;

/// <summary>One unlearned model of the study (a checkpoint along a trajectory, a method, a hyper-parameter).</summary>
/// <param name="Open">Loads or builds the model; the study owns what it returns and disposes it when done with it.</param>
/// <param name="Group">Free label (method, trajectory) kept with each point, e.g. for colouring a scatter plot.</param>
public sealed record RobustnessModel(string Name, Func<ICausalLM> Open, string Group = "");

/// <param name="PreservesKnowledge">True for attacks that should not change what the model knows (jail-breaking, noising, probing): a slope near 1 is expected, and the report gives |slope - 1|.</param>
public sealed record RobustnessAttack(string Name, IAttack Attack, bool PreservesKnowledge = false);

/// <summary>One metric value of one model on one split.</summary>
public sealed record MetricValue(string Metric, string Split, double Value);

/// <summary>Measures every chosen metric on every split; the input transform is the attack's (null before attacks).</summary>
public delegate IReadOnlyList<MetricValue> MetricEvaluator(ICausalLM model, Func<QaExample, QaExample>? inputTransform);

/// <summary>One scatter point: a model's metric value before (x) and after (y) an attack.</summary>
public sealed record RobustnessPoint(string Model, string Group, string Attack, string Metric, string Split, double Before, double After);

/// <summary>The robustness score of one (attack, metric, split): the fit of after on before across models.</summary>
/// <param name="SlopeDeviation">|slope - 1| for attacks that should not change knowledge, NaN otherwise.</param>
public sealed record RobustnessRow(string Attack, string Metric, string Split, int N, double Pearson, double Spearman,
    double Slope, double Intercept, bool PreservesKnowledge, double SlopeDeviation);

/// <summary>A metric's place in the ranking: mean (and worst) Pearson r over every attack and split.</summary>
public sealed record MetricRank(string Metric, double MeanPearson, double MinPearson, int Rows);

public sealed record RobustnessReport(IReadOnlyList<RobustnessPoint> Points, IReadOnlyList<RobustnessRow> Rows, IReadOnlyList<MetricRank> Ranking)
{
    /// <summary>The table as Markdown (numbers with three decimals, invariant culture; NaN printed as "n/a").</summary>
    public string ToMarkdown()
    {
        static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F3", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine("| attack | metric | split | n | pearson r | spearman | slope | intercept | abs(slope - 1) |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Rows)
            sb.AppendLine($"| {r.Attack} | {r.Metric} | {r.Split} | {r.N} | {F(r.Pearson)} | {F(r.Spearman)} | {F(r.Slope)} | {F(r.Intercept)} | {F(r.SlopeDeviation)} |");
        sb.AppendLine();
        sb.AppendLine("| rank | metric | mean pearson r | min pearson r |");
        sb.AppendLine("|---:|---|---:|---:|");
        for (int i = 0; i < Ranking.Count; i++)
            sb.AppendLine($"| {i + 1} | {Ranking[i].Metric} | {F(Ranking[i].MeanPearson)} | {F(Ranking[i].MinPearson)} |");
        return sb.ToString();
    }
}

/// <summary>
/// The metric-robustness study (the paper's first contribution): for many unlearned models, every metric
/// before and after every attack, then per (attack, metric, split) the least-squares fit after = a before + b
/// with Pearson's r (the robustness score), Spearman's rho, slope and intercept; metrics ranked by mean r.
/// Data only: plotting belongs to Reporting.
/// </summary>
public static class RobustnessStudy
{
    /// <param name="models">Produces the models; each is opened, measured, attacked and disposed in turn, so only one is alive at a time.</param>
    /// <param name="contextFor">The attack context for a model (data, encoder, device, seed, fine-tuning lr).</param>
    public static RobustnessReport Run(Func<IEnumerable<RobustnessModel>> models, MetricEvaluator evaluate,
        Func<IReadOnlyList<RobustnessAttack>> attacks, Func<ICausalLM, AttackContext> contextFor,
        Action<string>? progress = null, CancellationToken cancel = default)
    {
        var attackList = attacks();
        if (attackList.Count == 0) throw new ArgumentException("robustness study: no attacks given.");
        var duplicate = attackList.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"robustness study: two attacks are named '{duplicate.Key}'; give each a distinct name.");
        var points = new List<RobustnessPoint>();
        var names = new HashSet<string>();
        foreach (var entry in models())
        {
            cancel.ThrowIfCancellationRequested();
            if (!names.Add(entry.Name)) throw new ArgumentException($"robustness study: two models are named '{entry.Name}'; give each a distinct name.");
            using var model = entry.Open();
            var before = Index(evaluate(model, null), entry.Name, "no attack");
            foreach (var attack in attackList)
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Invoke($"{entry.Name}: {attack.Name}");
                var result = attack.Attack.Apply(contextFor(model));
                try
                {
                    var after = Index(evaluate(result.Model, result.InputTransform), entry.Name, attack.Name);
                    foreach (var ((metric, split), x) in before)
                    {
                        if (!after.TryGetValue((metric, split), out var y))
                            throw new InvalidOperationException($"robustness study: {metric} on {split} was measured before but not after '{attack.Name}' on model '{entry.Name}'.");
                        points.Add(new RobustnessPoint(entry.Name, entry.Group, attack.Name, metric, split, x, y));
                    }
                }
                finally
                {
                    if (!ReferenceEquals(result.Model, model)) result.Model.Dispose();
                }
            }
        }
        return Analyze(points, attackList.ToDictionary(a => a.Name, a => a.PreservesKnowledge));
    }

    /// <summary>Fits every (attack, metric, split) group of <paramref name="points"/>, in first-seen order.</summary>
    public static RobustnessReport Analyze(IReadOnlyList<RobustnessPoint> points, IReadOnlyDictionary<string, bool>? preservesKnowledge = null)
    {
        var rows = new List<RobustnessRow>();
        foreach (var g in points.GroupBy(p => (p.Attack, p.Metric, p.Split)))
        {
            var fit = LinearFit.Fit(g.Select(p => p.Before).ToArray(), g.Select(p => p.After).ToArray());
            bool preserves = preservesKnowledge is not null && preservesKnowledge.TryGetValue(g.Key.Attack, out var b) && b;
            rows.Add(new RobustnessRow(g.Key.Attack, g.Key.Metric, g.Key.Split, fit.N, fit.Pearson, fit.Spearman, fit.Slope, fit.Intercept,
                preserves, preserves ? Math.Abs(fit.Slope - 1) : double.NaN));
        }
        var ranking = rows.GroupBy(r => r.Metric)
            .Select(g =>
            {
                var rs = g.Select(r => r.Pearson).Where(v => !double.IsNaN(v)).ToArray();
                return new MetricRank(g.Key, rs.Length == 0 ? double.NaN : rs.Average(), rs.Length == 0 ? double.NaN : rs.Min(), g.Count());
            })
            .OrderByDescending(r => double.IsNaN(r.MeanPearson) ? double.NegativeInfinity : r.MeanPearson)
            .ThenBy(r => r.Metric, StringComparer.Ordinal)
            .ToArray();
        return new RobustnessReport(points, rows, ranking);
    }

    private static Dictionary<(string, string), double> Index(IReadOnlyList<MetricValue> values, string model, string stage)
    {
        var map = new Dictionary<(string, string), double>();
        foreach (var v in values)
            if (!map.TryAdd((v.Metric, v.Split), v.Value))
                throw new InvalidOperationException($"robustness study: the evaluator returned {v.Metric} on {v.Split} twice for model '{model}' ({stage}).");
        return map;
    }
}
