using MathNet.Numerics.Statistics;

namespace DslUnlearn.Stats;

/// <summary>Least-squares line y = slope x + intercept with Pearson's r and Spearman's rho of the same points.</summary>
/// <param name="N">Number of points with both values finite (NaN/infinite pairs are dropped).</param>
public sealed record FitResult(int N, double Slope, double Intercept, double Pearson, double Spearman);

/// <summary>
/// The fit behind the robustness score, its table and its scatter plot (one function, so the plot's r is the
/// table's). Pairs with a non-finite value are dropped first. The line is MathNet's two-pass least squares
/// (scipy's linregress). Spearman's rho is Pearson's r of MathNet's average ranks (scipy's spearmanr). Pearson's r
/// is our own two-pass formula, clipped to [-1, 1] as scipy's pearsonr clips it: MathNet's Correlation.Pearson is
/// a one-pass update that loses digits when the values sit far from 0 (4e-10 relative on the fixture
/// "large_offset", where the two-pass r matches scipy to 1e-15). All are NaN when undefined (fewer than two
/// points, or a constant x; r and rho also for a constant y), never a silent 0.
/// </summary>
public static class LinearFit
{
    public static FitResult Fit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"fit: x has {x.Count} values and y has {y.Count}; they must pair up.");
        var (xs, ys) = Finite(x, y);
        int n = xs.Length;
        if (n < 2) return new FitResult(n, double.NaN, double.NaN, double.NaN, double.NaN);
        // A constant series is tested exactly: its mean may differ from its values in the last bit, which
        // would leave a tiny nonzero spread, a meaningless slope or an r of 0 instead of "undefined".
        bool constantX = Constant(xs), constantY = Constant(ys);
        double slope, intercept;
        if (constantX) (slope, intercept) = (double.NaN, double.NaN);
        else if (constantY) (slope, intercept) = (0, ys.Average());
        else (intercept, slope) = MathNet.Numerics.Fit.Line(xs, ys);
        if (constantX || constantY) return new FitResult(n, slope, intercept, double.NaN, double.NaN);
        return new FitResult(n, slope, intercept, TwoPassPearson(xs, ys), TwoPassPearson(Ranks(xs), Ranks(ys)));
    }

    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y) => Fit(x, y).Pearson;
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Fit(x, y).Spearman;

    /// <summary>1-based ranks; tied values share the mean of their ranks (scipy's rankdata(method='average')).</summary>
    public static double[] Ranks(IReadOnlyList<double> values) => values.Ranks(RankDefinition.Average);

    private static double TwoPassPearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
        }
        return sxx > 0 && syy > 0 ? Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1) : double.NaN;
    }

    private static bool Constant(double[] v) => v.All(x => x == v[0]);

    private static (double[] X, double[] Y) Finite(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var xs = new List<double>(x.Count);
        var ys = new List<double>(y.Count);
        for (int i = 0; i < x.Count; i++)
            if (double.IsFinite(x[i]) && double.IsFinite(y[i])) { xs.Add(x[i]); ys.Add(y[i]); }
        return (xs.ToArray(), ys.ToArray());
    }
}
