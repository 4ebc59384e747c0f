namespace DslUnlearn.Robustness;

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
