using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Metrics;

/// <summary>An evaluation metric: per-sample values (when it has them) and one aggregate.</summary>
public interface IMetric
{
    MetricResult Compute(MetricContext context);

    /// <summary>
    /// Whether lower values of this instance on <paramref name="split"/> mean more knowledge. The default is the attribute's
    /// <see cref="Components.MetricAttribute.LowerIsBetter"/>; a metric whose direction depends on its options and the split
    /// (truth_ratio's closer_to_1 aggregation) overrides it. Ask through <see cref="MetricDirection"/>.
    /// </summary>
    bool LowerIsBetterOn(string split) => MetricDirection.FromAttribute(this);
}

/// <summary>
/// What a metric sees. <see cref="InputTransform"/> is how prompt-side attacks (jail-breaking, token
/// noising) reach every metric without each metric knowing about attacks.
/// </summary>
/// <param name="Split">Split name as in YAML ("forget", "retain", ...).</param>
/// <param name="Reference">A reference model where the metric needs one (e.g. the retain-only oracle).</param>
/// <param name="Holdout">Examples never trained on, for membership-inference metrics.</param>
/// <param name="AuxiliarySplits">Further named evaluation sets a metric may combine with <see cref="Examples"/>
/// (model_utility uses TOFU's "real_authors" and "world_facts" here).</param>
public sealed record MetricContext(
    ICausalLM Model,
    QaEncoder Encoder,
    IReadOnlyList<QaExample> Examples,
    string Split,
    Device Device,
    int BatchSize = 32,
    ICausalLM? Reference = null,
    IReadOnlyList<QaExample>? Holdout = null,
    Func<QaExample, QaExample>? InputTransform = null,
    IReadOnlyDictionary<string, IReadOnlyList<QaExample>>? AuxiliarySplits = null)
{
    /// <summary>
    /// The context a run's metric gets on <paramref name="split"/>: the split's evaluation rows (forget, or retain-eval),
    /// the data's holdout (null when it has none) and auxiliary sets, and the reference model (the oracle) when there is one.
    /// </summary>
    public static MetricContext ForSplit(ICausalLM model, QaEncoder encoder, QaDataset data, Specs.Vocabulary.SplitKind split, Device device, int batchSize,
        ICausalLM? reference = null, Func<QaExample, QaExample>? transform = null)
        => new(model, encoder, data.Split(split), SpecNames.Of(split), device, batchSize, reference, data.HoldoutOrNull, transform, data.Auxiliary);

    /// <summary>What this evaluation pass computed before (teacher-forced scores, greedy continuations), shared by the
    /// metrics of one pass over one model state; null computes everything afresh. See <see cref="EvaluationCache"/>.</summary>
    public EvaluationCache? Cache { get; init; }

    /// <summary>The examples after the input transform, if any.</summary>
    public IReadOnlyList<QaExample> Inputs => Transform(Examples);

    /// <summary>Any example list after the input transform (holdout and auxiliary sets get the same attack as the split).</summary>
    public IReadOnlyList<QaExample> Transform(IReadOnlyList<QaExample> examples)
        => InputTransform is null ? examples : examples.Select(InputTransform).ToArray();
}

/// <summary>OpenUnlearning's shape: agg_value plus value_by_index (null for aggregate-only metrics such as AUC).</summary>
public sealed record MetricResult(double AggValue, IReadOnlyList<double>? ValueByIndex)
{
    public static MetricResult FromValues(IReadOnlyList<double> values)
        => new(values.Count == 0 ? double.NaN : values.Average(), values);
}
