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
    IReadOnlyDictionary<string, IReadOnlyList<Methods.UnlearningLoop.StepLog>> UnlearnLogs);
