namespace DslUnlearn.Metrics;

/// <summary>
/// A metric whose aggregate is a function of its per-sample values other than their mean (truth ratio's closer_to_1 and
/// true_better over R). The report's bootstrap interval applies this function to every resample, so the interval is of
/// the reported aggregate. Metrics whose aggregate is the mean need not implement it.
/// </summary>
public interface ISampleAggregate
{
    /// <summary>The aggregate of <paramref name="values"/> (per-sample values as in value_by_index) on split <paramref name="split"/>.</summary>
    double Aggregate(IReadOnlyList<double> values, string split);
}
