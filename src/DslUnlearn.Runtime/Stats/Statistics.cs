using MathNet.Numerics.Statistics;

namespace DslUnlearn.Stats;

/// <summary>
/// The one home of the project's statistics: descriptive statistics here, the exact rank tests in
/// Statistics.RankTests.cs, the least-squares line and correlations in <see cref="LinearFit"/>. Each is checked
/// against scipy/numpy (tests/fixtures/statistics). MathNet.Numerics computes what it computes to the same bits
/// (harmonic mean, ranks, the line); our own code is kept where MathNet is less exact or moves stored numbers:
/// mean and standard deviation are the two-pass formulas, because MathNet's one-pass (online) forms differ in the
/// last bits for about a quarter of small samples (41 % for the standard deviation), which would change the
/// aggregates in stored results.json files byte for byte without changing any value that matters.
/// </summary>
public static partial class Statistics
{
    /// <summary>Arithmetic mean, the sum over n; NaN for no values.</summary>
    public static double Mean(IReadOnlyList<double> v) => v.Count == 0 ? double.NaN : v.Average();

    /// <summary>Sample standard deviation (n - 1, numpy's std(ddof=1)), two-pass; NaN for fewer than two values.</summary>
    public static double StdDev(IReadOnlyList<double> v)
    {
        if (v.Count < 2) return double.NaN;
        double m = Mean(v);
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Count - 1));
    }

    /// <summary>Harmonic mean (scipy.stats.hmean); 0 when any value is 0. Values must be non-negative.</summary>
    public static double HarmonicMean(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("Harmonic mean of no values.");
        if (values.Any(v => v < 0 || double.IsNaN(v))) throw new ArgumentException($"Harmonic mean needs non-negative values, got [{string.Join(", ", values)}].");
        if (values.Any(v => v == 0)) return 0;
        return ArrayStatistics.HarmonicMean(values as double[] ?? values.ToArray());
    }
}
