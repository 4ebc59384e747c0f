using System.Reflection;
using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Metrics;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>
/// The run-time second line behind the generator's build error: before any training, every metric of the spec (and
/// of its calibration) gets the inputs its <see cref="MetricAttribute.Needs"/> declares, or the run stops with the
/// generator's wording. Specs built in C# (tests, tools) reach here without the generator.
/// </summary>
public static class MetricNeedsCheck
{
    public static MetricNeeds NeedsOf(IMetric metric) => metric.GetType().GetCustomAttribute<MetricAttribute>()?.Needs ?? MetricNeeds.None;

    /// <summary>The needs <paramref name="spec"/> and <paramref name="data"/> provide.</summary>
    public static MetricNeeds Provided(ExperimentSpec spec, QaDataset data)
        => (spec.Finetune.Oracle ? MetricNeeds.Oracle : 0)
           | (data.Holdout.Count > 0 ? MetricNeeds.Holdout : 0)
           | (MetricNeedsText.AuxiliarySplits.All(data.Auxiliary.ContainsKey) ? MetricNeeds.AuxiliarySplits : 0);

    public static void Check(ExperimentSpec spec, QaDataset data)
    {
        var provided = Provided(spec, data);
        var metrics = spec.Metrics.Select(m => (m.Name, m.Metric)).ToList();
        if (spec.Calibration is { } c)
            metrics.AddRange(c.ForgetMetrics.Append(c.RetainMetric).Select(m => (m.Name, m.Metric)));
        foreach (var (name, metric) in metrics)
            foreach (var need in new[] { MetricNeeds.Oracle, MetricNeeds.Holdout, MetricNeeds.AuxiliarySplits })
                if (NeedsOf(metric).HasFlag(need) && !provided.HasFlag(need))
                    throw new InvalidOperationException($"{spec.SourceFile}: {MetricNeedsText.For(name, need)}.");
    }
}
