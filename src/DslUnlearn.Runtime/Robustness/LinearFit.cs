namespace DslUnlearn.Robustness;

/// <summary>Least-squares line y = slope x + intercept with Pearson's r and Spearman's rho of the same points.</summary>
/// <param name="N">Number of points with both values finite (NaN/infinite pairs are dropped).</param>
public sealed record FitResult(int N, double Slope, double Intercept, double Pearson, double Spearman);

/// <summary>
/// The statistics of the paper's robustness score. All are NaN when undefined (fewer than two points, or
/// a constant x; r also for a constant y), never a silent 0.
/// </summary>
public static class LinearFit
{
    public static FitResult Fit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"fit: x has {x.Count} values and y has {y.Count}; they must pair up.");
        var (xs, ys) = Finite(x, y);
        int n = xs.Length;
        if (n < 2) return new FitResult(n, double.NaN, double.NaN, double.NaN, double.NaN);
        double mx = xs.Average(), my = ys.Average();
        double sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = xs[i] - mx, dy = ys[i] - my;
            sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
        }
        double slope = sxx > 0 ? sxy / sxx : double.NaN;
        double intercept = sxx > 0 ? my - slope * mx : double.NaN;
        double r = sxx > 0 && syy > 0 ? Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1) : double.NaN;
        return new FitResult(n, slope, intercept, r, PearsonOf(Ranks(xs), Ranks(ys)));
    }

    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y) => Fit(x, y).Pearson;
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Fit(x, y).Spearman;

    /// <summary>1-based ranks; tied values share the mean of their ranks (so Spearman = Pearson of ranks).</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]]) j++;
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = mean;
            i = j + 1;
        }
        return ranks;
    }

    private static double PearsonOf(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
        }
        return sxx > 0 && syy > 0 ? Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1) : double.NaN;
    }

    private static (double[] X, double[] Y) Finite(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var xs = new List<double>(x.Count);
        var ys = new List<double>(y.Count);
        for (int i = 0; i < x.Count; i++)
            if (double.IsFinite(x[i]) && double.IsFinite(y[i])) { xs.Add(x[i]); ys.Add(y[i]); }
        return (xs.ToArray(), ys.ToArray());
    }
}

/// <summary>
/// OpenUnlearning's meta-evaluation scores for one metric, as the issue defines them. m_ret is the metric
/// of a model trained on retain data only (never saw the forget set), m_unl that of an unlearned model.
/// </summary>
public static class MetaEvaluation
{
    /// <summary>Relearning: R = min((m_ret_after - m_ret_before) / (m_unl_after - m_unl_before), 1); NaN when the unlearned model does not move.</summary>
    public static double Relearning(double retainModelBefore, double retainModelAfter, double unlearnedBefore, double unlearnedAfter)
    {
        double denominator = unlearnedAfter - unlearnedBefore;
        return denominator == 0 ? double.NaN : Math.Min((retainModelAfter - retainModelBefore) / denominator, 1);
    }

    /// <summary>Quantization: Q = min(m_unl_before / m_unl_after, 1); NaN when the quantized value is 0.</summary>
    public static double Quantization(double unlearnedBefore, double unlearnedAfter)
        => unlearnedAfter == 0 ? double.NaN : Math.Min(unlearnedBefore / unlearnedAfter, 1);

    /// <summary>Harmonic mean 2RQ / (R + Q); 0 when either score is 0 or below, NaN when either is NaN.</summary>
    public static double HarmonicMean(double r, double q)
    {
        if (double.IsNaN(r) || double.IsNaN(q)) return double.NaN;
        if (r <= 0 || q <= 0) return 0;
        return 2 * r * q / (r + q);
    }
}
