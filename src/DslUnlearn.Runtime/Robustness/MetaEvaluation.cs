using DslUnlearn.Stats;

namespace DslUnlearn.Robustness;

/// <summary>
/// OpenUnlearning's meta-evaluation scores for one metric (Dorna et al. 2025, "OpenUnlearning", section 4; docs/robustness.md).
/// m_ret is the metric of a model trained on retain data only (never saw the forget set), m_unl that of an unlearned model.
/// Faithfulness is the AUC with which the metric tells models that hold the forget knowledge from models that never saw it;
/// robustness is the harmonic mean of the relearning and quantization scores; the overall score is the harmonic mean of both.
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

    /// <summary>
    /// Faithfulness: AUC-ROC of the metric's values on the forget split with the models that hold the forget knowledge
    /// (<paramref name="positives"/>) as the positive class, ties counted one half (<see cref="Statistics.Auc"/>). The metric
    /// is first oriented so that higher means more knowledge: for lower-is-better metrics (nll, perplexity) the values are
    /// negated, which for a rank statistic is the same as OpenUnlearning's "higher = more knowledge" convention.
    /// 1 = every knowing model scores above every ignorant one; 0.5 = no better than chance. NaN when a value is NaN.
    /// </summary>
    public static double Faithfulness(IReadOnlyList<double> positives, IReadOnlyList<double> negatives, bool lowerIsBetter)
        => lowerIsBetter
            ? Statistics.Auc(negatives.Select(v => -v).ToArray(), positives.Select(v => -v).ToArray())
            : Statistics.Auc(negatives, positives);

    /// <summary>Harmonic mean 2RQ / (R + Q) (scipy's hmean of the two); 0 when either score is 0 or below, NaN when either is NaN.</summary>
    public static double HarmonicMean(double r, double q)
    {
        if (double.IsNaN(r) || double.IsNaN(q)) return double.NaN;
        if (r <= 0 || q <= 0) return 0;
        return Statistics.HarmonicMean([r, q]);
    }

    /// <summary>
    /// The harmonic mean of the scores that are defined (NaN ones left out; NaN when none is). OpenUnlearning combines two
    /// scores that always exist; here a run may lack one (no oracle gives no R, no pool no faithfulness), and then the
    /// combination is the one score there is. Tables say which scores entered.
    /// </summary>
    public static double Combine(double a, double b)
        => double.IsNaN(a) ? b : double.IsNaN(b) ? a : HarmonicMean(a, b);

    /// <summary>Robustness = HM(R, Q), or the one of them that is defined.</summary>
    public static double Robustness(double r, double q) => Combine(r, q);

    /// <summary>Overall = HM(faithfulness, robustness), or the one of them that is defined.</summary>
    public static double Overall(double faithfulness, double robustness) => Combine(faithfulness, robustness);

    /// <summary>
    /// OpenUnlearning's "still knows" threshold for the robustness filter (Dorna et al. 2025, section 4.2.1: the
    /// classification threshold between the faithfulness pools that maximises accuracy). On the metric oriented to
    /// "higher = more knowledge" (lower-is-better values negated), the candidates are the midpoints between consecutive
    /// distinct pool values; a candidate's accuracy counts the positives at or above it and the negatives below it; the
    /// first (lowest) candidate with the best accuracy wins. Returned in that orientation; NaN when a pool is empty, a
    /// value is NaN, or all values are equal (no threshold separates anything).
    /// </summary>
    public static double KnowledgeThreshold(IReadOnlyList<double> positives, IReadOnlyList<double> negatives, bool lowerIsBetter)
    {
        if (positives.Count == 0 || negatives.Count == 0) return double.NaN;
        var pos = positives.Select(v => lowerIsBetter ? -v : v).ToArray();
        var neg = negatives.Select(v => lowerIsBetter ? -v : v).ToArray();
        if (pos.Concat(neg).Any(double.IsNaN)) return double.NaN;
        var distinct = pos.Concat(neg).Distinct().Order().ToArray();
        double best = double.NaN;
        int bestCorrect = -1;
        for (int i = 0; i + 1 < distinct.Length; i++)
        {
            double t = (distinct[i] + distinct[i + 1]) / 2;
            int correct = pos.Count(v => v >= t) + neg.Count(v => v < t);
            if (correct > bestCorrect) (best, bestCorrect) = (t, correct);
        }
        return best;
    }

    /// <summary>Whether an unlearned model's value lies above the <see cref="KnowledgeThreshold"/> (it still looks like a target): such a model is left out of R and Q.</summary>
    public static bool StillKnows(double value, double threshold, bool lowerIsBetter) => (lowerIsBetter ? -value : value) > threshold;

    /// <summary>OpenUnlearning's utility filter: a model enters R and Q when its utility is at least <paramref name="minShare"/> times the target's (NaN utility: left out).</summary>
    public static bool KeepsUtility(double utility, double targetUtility, double minShare) => utility >= minShare * targetUtility;
}
