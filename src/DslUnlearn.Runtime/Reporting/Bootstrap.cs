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
    {
        if (runs.Count == 0 || runs.Any(r => r.Count == 0 || r.Any(v => !double.IsFinite(v)))) return null;
        var stats = new double[resamples];
        for (int r = 0; r < runs.Count; r++)
        {
            var indices = Indices(runs[r].Count, resamples, unchecked(seed + r));
            for (int b = 0; b < resamples; b++) stats[b] += MeanAt(runs[r], indices[b]) / runs.Count;
        }
        return FromStatistics(stats, level);
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
    /// The interval of a value that is, per run, the metric's aggregate over its samples. Only a mean has this
    /// bootstrap: a metric whose aggregate is not the mean of its per-sample values (truth ratio, AUCs, forget quality,
    /// privleak) gets null, as does a value without per-sample values.
    /// </summary>
    /// <param name="cell">Names the value ("model|metric_split"); mixed into the seed so every value has its own indices.</param>
    public static ConfidenceInterval? Of(IReadOnlyList<(double Agg, IReadOnlyList<double> Values)> runs, int seed, string cell)
        => runs.Count > 0 && runs.All(r => IsMeanOf(r.Agg, r.Values))
            ? Bootstrap.MeanOfMeans(runs.Select(r => r.Values).ToList(), Bootstrap.SeedFor(seed, cell))
            : null;

    /// <summary>The name of a value in <see cref="Of"/>'s seed.</summary>
    public static string Cell(string model, string metric, string split, bool calibrated = false) => $"{model}|{metric}|{split}{(calibrated ? "|calibrated" : "")}";

    private static bool IsMeanOf(double agg, IReadOnlyList<double> values)
    {
        if (values.Count == 0 || !double.IsFinite(agg)) return false;
        double mean = values.Average();
        return Math.Abs(agg - mean) <= 1e-12 * Math.Max(1, Math.Abs(mean));
    }
}
