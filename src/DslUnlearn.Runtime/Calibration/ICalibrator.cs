using DslUnlearn.Metrics;
using DslUnlearn.Models;

namespace DslUnlearn.Calibration;

/// <summary>
/// Brings an unlearned model to a common operating point so methods can be compared (the paper's
/// control). The reference implementation is model mixing theta(alpha) = (1-alpha) theta_ref + alpha theta_unlearned.
/// </summary>
public interface ICalibrator
{
    CalibrationResult Calibrate(CalibrationContext context);
}

/// <param name="Reference">The model before unlearning (theta_ref).</param>
/// <param name="Unlearned">The unlearned model (theta_unlearned); may be modified in place and restored.</param>
/// <param name="RetainMetric">Evaluates the retain-side criterion on a candidate model (e.g. ES exact on retain).</param>
/// <param name="ForgetMetrics">Forget-side metrics reported at the chosen operating point, by name.</param>
public sealed record CalibrationContext(
    ICausalLM Reference,
    ICausalLM Unlearned,
    Func<ICausalLM, double> RetainMetric,
    IReadOnlyDictionary<string, Func<ICausalLM, MetricResult>> ForgetMetrics);

/// <param name="Alpha">Chosen mixing coefficient.</param>
/// <param name="RetainValue">Retain metric reached at Alpha.</param>
/// <param name="ReferenceRetainValue">Retain metric of the reference model.</param>
/// <param name="Evaluations">Retain evaluations spent by the search.</param>
/// <param name="Forget">Forget metrics at Alpha.</param>
/// <param name="Curve">Sampled (alpha, retain, forget...) points for plots.</param>
public sealed record CalibrationResult(
    double Alpha,
    double RetainValue,
    double ReferenceRetainValue,
    int Evaluations,
    IReadOnlyDictionary<string, MetricResult> Forget,
    IReadOnlyList<CalibrationPoint> Curve);

public sealed record CalibrationPoint(double Alpha, double Retain, IReadOnlyDictionary<string, double> Forget);
