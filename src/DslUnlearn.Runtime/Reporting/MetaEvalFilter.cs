using DslUnlearn.Metrics;
using DslUnlearn.Robustness;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Reporting;

/// <summary>
/// Which unlearned models enter R and Q (OpenUnlearning, Dorna et al. 2025, section 4.2.1; docs/robustness.md): those whose
/// utility kept at least <c>meta_eval.utility.min_share</c> of the target's, and, for a metric on forget with faithfulness
/// pools, those the metric does not place on the targets' side of the pools' accuracy-best threshold. Faithfulness itself is
/// computed over the pools and is not filtered. Without a <c>meta_eval</c> section nothing is filtered.
/// </summary>
public sealed class MetaEvalFilter
{
    /// <summary>The utility filter's settings, or null when it is off (no meta_eval section, or min_share 0).</summary>
    public UtilityFilterSpec? Utility { get; }
    /// <summary>Why the utility filter is set but not applied (the spec does not measure the metric), else null.</summary>
    public string? UtilityNotApplied { get; }
    public double TargetUtility { get; } = double.NaN;
    /// <summary>Unlearned models dropped by the utility filter, in spec order.</summary>
    public IReadOnlyList<string> UtilityDropped { get; } = [];
    /// <summary>Per metric (forget split), the pools' threshold in "higher = more knowledge" orientation.</summary>
    public IReadOnlyDictionary<string, double> Thresholds { get; } = new Dictionary<string, double>();
    public bool KnowledgeFilter { get; }
    private readonly HashSet<string> _utilityDropped = new(StringComparer.Ordinal);
    private readonly Func<string, string, bool> _lowerIsBetter = MetricDirection.LowerIsBetter;

    private MetaEvalFilter() { }

    private MetaEvalFilter(ReportInput input, MetaEvalSpec spec)
    {
        var run = input.Runs[0];
        _lowerIsBetter = input.LowerIsBetter;
        if (spec.Utility.MinShare > 0)
        {
            Utility = spec.Utility;
            var target = run.Models.FirstOrDefault(m => m.Kind == "target")?.Get(spec.Utility.Metric, spec.Utility.Split);
            string on = $"{spec.Utility.Metric} on {SpecNames.Of(spec.Utility.Split)}";
            if (target is null || !double.IsFinite(target.AggValue))
                UtilityNotApplied = $"the run does not measure {on} on the target; add it to `metrics:` or name a measured metric in `meta_eval.utility.metric`";
            else
            {
                TargetUtility = target.AggValue;
                var dropped = new List<string>();
                foreach (var name in input.UnlearnedModels)
                {
                    var u = run.Models.FirstOrDefault(m => m.Name == name)?.Get(spec.Utility.Metric, spec.Utility.Split)?.AggValue ?? double.NaN;
                    if (!MetaEvaluation.KeepsUtility(u, TargetUtility, spec.Utility.MinShare)) dropped.Add(name);
                }
                UtilityDropped = dropped;
                _utilityDropped.UnionWith(dropped);
            }
        }
        KnowledgeFilter = spec.KnowledgeFilter;
        if (spec.KnowledgeFilter)
        {
            var thresholds = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var g in input.FaithfulnessPools.Where(v => v.Split == "forget").GroupBy(v => v.Metric))
            {
                double t = MetaEvaluation.KnowledgeThreshold(g.Where(v => v.Positive).Select(v => v.Value).ToArray(),
                    g.Where(v => !v.Positive).Select(v => v.Value).ToArray(), input.LowerIsBetter(g.Key, "forget"));
                if (!double.IsNaN(t)) thresholds[g.Key] = t;
            }
            Thresholds = thresholds;
        }
    }

    /// <summary>No filter: every unlearned model enters R and Q (a spec without a meta_eval section).</summary>
    public static readonly MetaEvalFilter None = new();

    public static MetaEvalFilter For(ReportInput input)
        => input.Runs.Count > 0 && input.Runs[0].Spec.MetaEval is { } spec ? new MetaEvalFilter(input, spec) : None;

    /// <summary>Whether any filter is on (the table then shows how many models each score kept).</summary>
    public bool Active => Utility is not null || KnowledgeFilter;

    public bool DroppedForUtility(string model) => _utilityDropped.Contains(model);

    /// <summary>The pools' threshold for a metric on a split, or NaN when the knowledge filter does not apply there.</summary>
    public double Threshold(string metric, string split)
        => KnowledgeFilter && split == "forget" && Thresholds.TryGetValue(metric, out var t) ? t : double.NaN;

    /// <summary>The metric's direction on the split as the run's spec configured it (<see cref="ReportInput.LowerIsBetter"/>).</summary>
    public bool LowerIsBetter(string metric, string split) => _lowerIsBetter(metric, split);

    /// <summary>Whether an unlearned model's point enters R and Q of its (metric, split).</summary>
    public bool Keeps(RobustnessPoint p)
    {
        if (DroppedForUtility(p.Model)) return false;
        double t = Threshold(p.Metric, p.Split);
        return double.IsNaN(t) || !MetaEvaluation.StillKnows(p.Before, t, LowerIsBetter(p.Metric, p.Split));
    }
}
