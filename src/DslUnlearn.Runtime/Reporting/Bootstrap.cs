namespace DslUnlearn.Reporting;

/// <summary>A two-sided confidence interval.</summary>
public sealed record ConfidenceInterval(double Low, double High);

/// <summary>
/// Seeded percentile bootstrap of a mean over per-sample values (Efron and Tibshirani, ch. 13): draw
/// <see cref="Resamples"/> resamples of the indices with replacement, take each resample's mean, report the
/// 2.5 % and 97.5 % quantiles of those means (linear interpolation, numpy's default "linear" method, Hyndman-Fan
/// type 7). With several runs (seeds) of one cell the value is the mean over runs of each run's mean, and each run's
/// samples are resampled on their own (a stratified bootstrap), so the interval covers sample noise of every run.
/// Same values and seed give the same interval on every machine (System.Random's seeded sequence is fixed).
/// </summary>
public static class Bootstrap
{
    public const int Resamples = 1000;
    public const double Level = 0.95;

    /// <summary>The resampling indices: <paramref name="resamples"/> arrays of <paramref name="n"/> indices in [0, n).</summary>
    public static int[][] Indices(int n, int resamples, int seed)
    {
        var rng = new Random(seed);
        var result = new int[resamples][];
        for (int b = 0; b < resamples; b++)
        {
            var idx = result[b] = new int[n];
            for (int i = 0; i < n; i++) idx[i] = rng.Next(n);
        }
        return result;
    }

    /// <summary>The percentile interval of the mean of <paramref name="values"/> for the given resampling indices.</summary>
    public static ConfidenceInterval Percentile(IReadOnlyList<double> values, IReadOnlyList<int[]> indices, double level = Level)
        => FromStatistics(indices.Select(idx => MeanAt(values, idx)).ToArray(), level);

    /// <summary>
    /// The interval of the mean over <paramref name="runs"/> of each run's mean over its samples; null when a run has no
    /// samples or a non-finite one. <paramref name="seed"/> fixes the indices (run r uses seed + r).
    /// </summary>
    public static ConfidenceInterval? MeanOfMeans(IReadOnlyList<IReadOnlyList<double>> runs, int seed, int resamples = Resamples, double level = Level)
        => MeanOfStatistics(runs, null, seed, resamples, level);

    /// <summary>
    /// As <see cref="MeanOfMeans"/> with each run's resample summarized by <paramref name="statistic"/> (null: the mean),
    /// e.g. truth ratio's closer_to_1 over the resampled ratios.
    /// </summary>
    public static ConfidenceInterval? MeanOfStatistics(IReadOnlyList<IReadOnlyList<double>> runs, Func<IReadOnlyList<double>, double>? statistic, int seed,
        int resamples = Resamples, double level = Level)
    {
        if (runs.Count == 0 || runs.Any(r => r.Count == 0 || r.Any(v => !double.IsFinite(v)))) return null;
        var stats = new double[resamples];
        for (int r = 0; r < runs.Count; r++)
        {
            var values = runs[r];
            var indices = Indices(values.Count, resamples, unchecked(seed + r));
            var resample = new double[values.Count];
            for (int b = 0; b < resamples; b++)
            {
                double stat;
                if (statistic is null) stat = MeanAt(values, indices[b]);
                else
                {
                    for (int i = 0; i < resample.Length; i++) resample[i] = values[indices[b][i]];
                    stat = statistic(resample);
                }
                stats[b] += stat / runs.Count;
            }
        }
        return stats.All(double.IsFinite) ? FromStatistics(stats, level) : null;
    }

    /// <summary>A stable per-cell seed: the report's seed mixed with the cell's name (FNV-1a), so cells get independent indices.</summary>
    public static int SeedFor(int seed, string cell)
    {
        uint h = 2166136261;
        foreach (char ch in cell) h = (h ^ ch) * 16777619;
        return unchecked((int)(h ^ (uint)seed));
    }

    /// <summary>Type-7 quantile of sorted <paramref name="sorted"/> at probability <paramref name="p"/> (numpy.quantile's default).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double p)
    {
        double h = (sorted.Count - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static ConfidenceInterval FromStatistics(double[] stats, double level)
    {
        Array.Sort(stats);
        double tail = (1 - level) / 2;
        return new ConfidenceInterval(Quantile(stats, tail), Quantile(stats, 1 - tail));
    }

    private static double MeanAt(IReadOnlyList<double> values, int[] idx)
    {
        double sum = 0;
        foreach (int i in idx) sum += values[i];
        return sum / idx.Length;
    }
}

/// <summary>The confidence interval of one reported value (a table cell, a results.json metric).</summary>
public static class ValueIntervals
{
    /// <summary>
    /// The interval of a value that is, per run, the metric's aggregate over its samples: the mean, or the metric's own
    /// <see cref="Metrics.ISampleAggregate"/> (truth ratio). Null when the reported aggregate is neither (AUCs, forget
    /// quality, privleak, model utility) or the value has no per-sample values: an interval of another statistic would mislead.
    /// </summary>
    /// <param name="cell">Names the value (<see cref="Cell"/>); mixed into the seed so every value has its own indices.</param>
    /// <param name="aggregate">The metric's sample aggregate, if it has one, and the split it is on.</param>
    public static ConfidenceInterval? Of(IReadOnlyList<(double Agg, IReadOnlyList<double> Values)> runs, int seed, string cell,
        (Metrics.ISampleAggregate Metric, string Split)? aggregate = null)
    {
        if (runs.Count == 0) return null;
        var values = runs.Select(r => r.Values).ToList();
        if (runs.All(r => IsMeanOf(r.Agg, r.Values))) return Bootstrap.MeanOfMeans(values, Bootstrap.SeedFor(seed, cell));
        if (aggregate is { } a && runs.All(r => r.Values.Count > 0 && Same(r.Agg, a.Metric.Aggregate(r.Values, a.Split))))
            return Bootstrap.MeanOfStatistics(values, v => a.Metric.Aggregate(v, a.Split), Bootstrap.SeedFor(seed, cell));
        return null;
    }

    /// <summary>The sample aggregate of metric <paramref name="metric"/> of <paramref name="spec"/> (a calibration forget metric when <paramref name="calibrated"/>), if it has one.</summary>
    public static (Metrics.ISampleAggregate, string)? AggregateOf(Specs.ExperimentSpec spec, string metric, string split, bool calibrated = false)
    {
        var component = calibrated
            ? spec.Calibration?.ForgetMetrics.FirstOrDefault(m => m.Name == metric)?.Metric
            : spec.Metrics.FirstOrDefault(m => m.Name == metric)?.Metric;
        return component is Metrics.ISampleAggregate a ? (a, split) : null;
    }

    private static bool Same(double a, double b) => double.IsFinite(a) && Math.Abs(a - b) <= 1e-12 * Math.Max(1, Math.Abs(b));

    /// <summary>The name of a value in <see cref="Of"/>'s seed.</summary>
    public static string Cell(string model, string metric, string split, bool calibrated = false) => $"{model}|{metric}|{split}{(calibrated ? "|calibrated" : "")}";

    private static bool IsMeanOf(double agg, IReadOnlyList<double> values) => values.Count > 0 && Same(agg, values.Average());
}
