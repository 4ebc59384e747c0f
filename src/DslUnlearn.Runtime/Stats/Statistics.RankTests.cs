using MathNet.Numerics.Statistics;

namespace DslUnlearn.Stats;

/// <summary>
/// The rank tests behind membership inference and forget quality. The AUC is a rank sum over MathNet's average
/// ranks, which is exact (ranks are half-integers). The two-sample Kolmogorov-Smirnov p-value is our own code:
/// MathNet has no two-sample KS test, and scipy's "exact" method is what TOFU's forget quality uses; ours matches
/// it to 1e-15 (tests/fixtures/statistics) and keeps p-values like 1e-23 to full relative precision.
/// </summary>
public static partial class Statistics
{
    /// <summary>
    /// Area under the ROC curve for telling <paramref name="positives"/> from <paramref name="negatives"/> by
    /// score (higher = positive), ties counted one half (sklearn's roc_auc_score, Mann-Whitney U / (n m)).
    /// Identical distributions give 0.5; a NaN score gives NaN (it has no place in an ordering).
    /// </summary>
    public static double Auc(IReadOnlyList<double> negatives, IReadOnlyList<double> positives)
    {
        if (negatives.Count == 0 || positives.Count == 0)
            throw new ArgumentException($"AUC needs both classes: got {negatives.Count} negatives and {positives.Count} positives.");
        if (negatives.Any(double.IsNaN) || positives.Any(double.IsNaN)) return double.NaN;
        var ranks = negatives.Concat(positives).Ranks(RankDefinition.Average);
        double rankSumPos = 0;
        for (int k = negatives.Count; k < ranks.Length; k++) rankSumPos += ranks[k];
        double n = positives.Count, m = negatives.Count;
        return (rankSumPos - n * (n + 1) / 2) / (n * m);
    }

    /// <summary>
    /// Two-sided two-sample Kolmogorov-Smirnov test p-value, P(D &gt;= d) under the null, as scipy's ks_2samp
    /// (method "exact") computes it: the share of the equally likely orderings of the two samples whose
    /// empirical CDFs get at least d apart, by dynamic programming over the (n1+1) x (n2+1) lattice. The
    /// probability of first reaching the boundary is summed directly, so tiny p-values keep their precision.
    /// Above 10^8 lattice points the asymptotic Kolmogorov distribution is used. Identical samples give 1.
    /// </summary>
    public static double KsTwoSamplePValue(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        int n1 = x.Count, n2 = y.Count;
        if (n1 == 0 || n2 == 0) throw new ArgumentException($"KS test needs two non-empty samples: got {n1} and {n2} values.");
        if (x.Concat(y).Any(double.IsNaN)) throw new ArgumentException("KS test: a sample holds NaN.");
        long h = KsStatisticScaled(x, y);                 // D * n1 * n2, an integer
        if (h == 0) return 1.0;
        if ((double)n1 * n2 > 1e8) return KolmogorovAsymptotic((double)h / n1 / n2, n1, n2);
        // Uniformly random interleaving: from (i, j) step to (i+1, j) with probability (n1-i)/(rest).
        var inside = new double[n2 + 1];
        inside[0] = 1.0;
        double hit = 0;
        bool Outside(long i, long j) => Math.Abs(i * n2 - j * n1) >= h;
        for (int i = 0; i <= n1; i++)
        {
            var next = new double[n2 + 1];
            for (int j = 0; j <= n2; j++)
            {
                double p = inside[j];
                if (p == 0) continue;
                int rest = n1 + n2 - i - j;
                if (rest == 0) continue;
                if (i < n1)
                {
                    double t = p * (n1 - i) / rest;
                    if (Outside(i + 1, j)) hit += t; else next[j] += t;
                }
                if (j < n2)
                {
                    double t = p * (n2 - j) / rest;
                    if (Outside(i, j + 1)) hit += t; else inside[j + 1] += t;
                }
            }
            inside = next;
        }
        return Math.Min(1.0, hit);
    }

    /// <summary>max over the pooled values of |n2 * #x&lt;=v - n1 * #y&lt;=v| = D * n1 * n2.</summary>
    public static long KsStatisticScaled(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var a = x.Order().ToArray();
        var b = y.Order().ToArray();
        int i = 0, j = 0;
        long best = 0;
        while (i < a.Length || j < b.Length)
        {
            double v = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            while (i < a.Length && a[i] == v) i++;
            while (j < b.Length && b[j] == v) j++;
            best = Math.Max(best, Math.Abs((long)i * b.Length - (long)j * a.Length));
        }
        return best;
    }

    /// <summary>Kolmogorov's limit distribution with Stephens' small-sample correction (large samples only).</summary>
    private static double KolmogorovAsymptotic(double d, int n1, int n2)
    {
        double en = Math.Sqrt((double)n1 * n2 / (n1 + n2));
        double lambda = (en + 0.12 + 0.11 / en) * d;
        double sum = 0;
        for (int k = 1; k <= 100; k++)
        {
            double term = Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += (k % 2 == 1 ? 1 : -1) * term;
            if (term < 1e-16) break;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }
}
