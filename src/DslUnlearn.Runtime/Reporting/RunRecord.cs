using DslUnlearn.Data;
using DslUnlearn.Pipeline;
using DslUnlearn.Specs;

namespace DslUnlearn.Reporting;

/// <summary>Everything a finished run reports; deterministic (no timings or host facts).</summary>
public sealed record RunRecord(
    ExperimentSpec Spec,
    QaDataset Data,
    long ParameterCount,
    double FinetuneFinalLoss,
    IReadOnlyList<ModelEvaluation> Models,
    IReadOnlyDictionary<string, IReadOnlyList<Methods.UnlearningLoop.StepLog>> UnlearnLogs)
{
    /// <summary>Every model's metrics after every attack pipeline of the spec (empty without attacks).</summary>
    public IReadOnlyList<AttackedEvaluation> Attacked { get; init; } = [];
    /// <summary>One calibration per unlearned model (empty without calibration).</summary>
    public IReadOnlyList<CalibrationRecord> Calibrations { get; init; } = [];
}

/// <summary>The metrics of <paramref name="Model"/> after the attack pipeline <paramref name="Attack"/> (its steps in <paramref name="Chain"/>).</summary>
/// <param name="Evaluation">Named after the model, kind "attacked".</param>
public sealed record AttackedEvaluation(string Attack, IReadOnlyList<string> Chain, string Model, ModelEvaluation Evaluation);

/// <summary>The calibration of one unlearned model against the target (reference) model.</summary>
/// <param name="RetainMetric">The retain criterion, e.g. "es_exact" (on the retain split).</param>
public sealed record CalibrationRecord(string Model, string Calibrator, string RetainMetric, Calibration.CalibrationResult Result);
