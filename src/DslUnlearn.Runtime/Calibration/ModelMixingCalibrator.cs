using DslUnlearn.Components;
using DslUnlearn.Metrics;
using DslUnlearn.Models;

namespace DslUnlearn.Calibration;

public record ModelMixingOptions
{
    /// <summary>Target retention tau: the retain metric at the chosen alpha must reach tau times the reference model's (the paper uses 0.9, and 0.4 / 0.6 in its tables).</summary>
    [Option(Min = 0, Max = 1)]
    public double Fraction { get; init; } = 0.9;
    /// <summary>Width of the final alpha bracket; 0.01 takes 7 halvings after the alpha = 1 check (8 retain evaluations).</summary>
    [Option(Min = 0, MinExclusive = true, Max = 1)]
    public double Tolerance { get; init; } = 0.01;
    /// <summary>Evenly spaced alphas in [0, 1] sampled for the trade-off plot (0 = no curve, otherwise at least 2).</summary>
    [Option(Min = 0, Max = 1001)]
    public int CurvePoints { get; init; } = 11;
}

/// <summary>
/// Calibration by model mixing (the paper's control). It mixes the reference and the unlearned weights in
/// place (see <see cref="ModelMixer"/>), finds by bisection the largest alpha in [0, 1] whose retain metric
/// is at least <c>fraction</c> x the reference model's, assuming, as the paper does, that the retain metric
/// falls monotonically with alpha, and reports the forget metrics at that alpha.
/// Search: the reference (alpha = 0) is measured once; alpha = 1 is tried first (a method that never hurt
/// retention calibrates to exactly 1); otherwise the bracket [ok, failing] = [0, 1] is halved until narrower
/// than <c>tolerance</c>, and the lower end, the largest alpha known to pass, is chosen. The reported
/// <see cref="CalibrationResult.Evaluations"/> counts the retain evaluations of mixed models
/// (1 + ceil(log2(1 / tolerance)): 8 for 0.01), not the reference's or the curve's.
/// The unlearned model is restored to its own weights, bit for bit, before Calibrate returns.
/// </summary>
[Calibrator("model_mixing")]
public sealed class ModelMixingCalibrator : ICalibrator
{
    public ModelMixingCalibrator(ModelMixingOptions options)
    {
        if (!(options.Fraction is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(options), options.Fraction, "calibration.fraction must lie in [0, 1] (0.9 keeps 90 % of the reference retain metric).");
        if (!(options.Tolerance is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(options), options.Tolerance, "calibration.tolerance must lie in (0, 1], e.g. 0.01.");
        if (options.CurvePoints == 1 || options.CurvePoints < 0) throw new ArgumentOutOfRangeException(nameof(options), options.CurvePoints, "calibration.curve_points must be 0 (no curve) or at least 2 (11 gives alpha = 0, 0.1, ..., 1).");
        Options = options;
    }

    public ModelMixingOptions Options { get; }

    public CalibrationResult Calibrate(CalibrationContext context)
    {
        double referenceRetain = Measure(context.RetainMetric, context.Reference, "the reference model");
        using var mixer = new ModelMixer(context.Reference, context.Unlearned);
        var model = context.Unlearned;

        var (alpha, retain, evaluations) = Search(a =>
        {
            mixer.SetAlpha(a);
            return Measure(context.RetainMetric, model, $"alpha = {a:G4}");
        }, referenceRetain, Options.Fraction, Options.Tolerance);

        mixer.SetAlpha(alpha);
        var forget = context.ForgetMetrics.ToDictionary(kv => kv.Key, kv => kv.Value(model));

        var curve = new List<CalibrationPoint>();
        for (int i = 0; i < Options.CurvePoints; i++)
        {
            double a = (double)i / (Options.CurvePoints - 1);
            mixer.SetAlpha(a);
            double r = a == 0 ? referenceRetain : Measure(context.RetainMetric, model, $"alpha = {a:G4}");
            curve.Add(new CalibrationPoint(a, r, context.ForgetMetrics.ToDictionary(kv => kv.Key, kv => kv.Value(model).AggValue)));
        }
        return new CalibrationResult(alpha, retain, referenceRetain, evaluations, forget, curve);
    }

    /// <summary>
    /// The bisection on its own, for any response <paramref name="retainAt"/>(alpha), assumed non-increasing.
    /// Returns the chosen alpha, the response there and the number of calls made.
    /// </summary>
    public static (double Alpha, double Retain, int Evaluations) Search(Func<double, double> retainAt, double referenceRetain, double fraction, double tolerance)
    {
        if (double.IsNaN(referenceRetain)) throw new ArgumentException("calibration: the reference model's retain metric is NaN; check the retain split and metric.");
        double target = fraction * referenceRetain;
        int evaluations = 0;
        double Eval(double a) { evaluations++; return retainAt(a); }

        double atOne = Eval(1.0);
        if (atOne >= target) return (1.0, atOne, evaluations);
        double lo = 0, hi = 1, loValue = referenceRetain;
        while (hi - lo > tolerance)
        {
            double mid = (lo + hi) / 2;
            double value = Eval(mid);
            if (value >= target) { lo = mid; loValue = value; }
            else hi = mid;
        }
        return (lo, loValue, evaluations);
    }

    private static double Measure(Func<ICausalLM, double> metric, ICausalLM model, string what)
    {
        double v = metric(model);
        if (double.IsNaN(v)) throw new InvalidOperationException($"calibration: the retain metric is NaN at {what}; is the retain split empty?");
        return v;
    }
}
