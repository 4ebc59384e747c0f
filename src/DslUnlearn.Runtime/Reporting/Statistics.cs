namespace DslUnlearn.Reporting;

/// <summary>Small statistics for reports: mean, sample standard deviation, least-squares line, Pearson r.</summary>
public static class Statistics
{
    public static double Mean(IReadOnlyList<double> v) => v.Count == 0 ? double.NaN : v.Average();

    /// <summary>Sample standard deviation (n - 1); NaN for fewer than two values.</summary>
    public static double StdDev(IReadOnlyList<double> v)
    {
        if (v.Count < 2) return double.NaN;
        double m = Mean(v);
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Count - 1));
    }

    /// <summary>Least-squares fit y = slope x + intercept and Pearson's r (NaN when x or y is constant).</summary>
    public static (double Slope, double Intercept, double PearsonR) LinearFit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"x has {x.Count} values and y has {y.Count}; they must pair up.");
        if (x.Count < 2) return (double.NaN, double.NaN, double.NaN);
        double mx = Mean(x), my = Mean(y), sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxx += dx * dx;
            syy += dy * dy;
            sxy += dx * dy;
        }
        double slope = sxx == 0 ? double.NaN : sxy / sxx;
        double intercept = double.IsNaN(slope) ? double.NaN : my - slope * mx;
        double r = sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
        return (slope, intercept, r);
    }
}
