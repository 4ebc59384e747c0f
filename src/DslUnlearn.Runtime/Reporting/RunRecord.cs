using DslUnlearn.Data;
using DslUnlearn.Metrics;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;

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
    /// <summary>The model as summary.md describes it (<see cref="Engine.RunInputs.ModelSourceInfo.Summary"/>); null = from the spec's model section.</summary>
    public string? ModelDescription { get; init; }

    /// <summary>
    /// One line per metric value that is NaN or infinite (the aggregate or any per-sample value), naming metric, model and
    /// split: results.json writes such a value as null and lists these lines under "warnings".
    /// </summary>
    public IReadOnlyList<string> NonFiniteWarnings()
    {
        var warnings = new List<string>();
        void Check(ModelEvaluation model, string where)
        {
            foreach (var m in model.Metrics)
            {
                string split = SpecNames.Of(m.Split);
                if (!double.IsFinite(m.AggValue))
                    warnings.Add($"warning: metric {m.Metric} on model {model.Name}, split {split}{where} is {m.AggValue.ToString(System.Globalization.CultureInfo.InvariantCulture)}; results.json has null there.");
                int bad = m.Values.Count(v => !double.IsFinite(v));
                if (bad > 0)
                    warnings.Add($"warning: metric {m.Metric} on model {model.Name}, split {split}{where} has {bad} non-finite per-sample value(s) of {m.Values.Count}; results.json has null there.");
            }
        }
        foreach (var m in Models) Check(m, "");
        foreach (var a in Attacked) Check(a.Evaluation, $", after attack {a.Attack}");
        foreach (var c in Calibrations)
        {
            if (!double.IsFinite(c.Result.RetainValue))
                warnings.Add($"warning: calibration criterion {c.RetainMetric} on model {c.Model} is {c.Result.RetainValue.ToString(System.Globalization.CultureInfo.InvariantCulture)}; results.json has null there.");
            foreach (var (metric, value) in c.Result.Forget)
                if (!double.IsFinite(value.AggValue))
                    warnings.Add($"warning: metric {metric} on model {c.Model}, split forget, calibrated is {value.AggValue.ToString(System.Globalization.CultureInfo.InvariantCulture)}; results.json has null there.");
        }
        return warnings;
    }
}

/// <summary>The metrics of <paramref name="Model"/> after the attack pipeline <paramref name="Attack"/> (its steps in <paramref name="Chain"/>).</summary>
/// <param name="Evaluation">Named after the model, kind "attacked".</param>
public sealed record AttackedEvaluation(string Attack, IReadOnlyList<string> Chain, string Model, ModelEvaluation Evaluation);

/// <summary>The calibration of one unlearned model against the target (reference) model.</summary>
/// <param name="RetainMetric">The retain criterion, e.g. "es_exact" (on the retain split).</param>
public sealed record CalibrationRecord(string Model, string Calibrator, string RetainMetric, Calibration.CalibrationResult Result);
