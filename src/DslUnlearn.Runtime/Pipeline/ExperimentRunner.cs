using DslUnlearn.Reporting;
using DslUnlearn.Specs;

namespace DslUnlearn.Pipeline;

/// <summary>
/// The entry point generated experiments call (<c>IExperiment.Run</c>). There is one runner: the staged one
/// (<see cref="Engine.StagedExperimentRunner"/>), which runs every stage through the artifact store, cached and resumable.
/// </summary>
public static class ExperimentRunner
{
    public static ExperimentResult Run(ExperimentSpec spec, RunOptions options) => Engine.StagedExperimentRunner.Run(spec, options).Result;
}

/// <summary>Where a run wrote its outputs, and what it measured.</summary>
public sealed record ExperimentResult(string OutputDirectory, string ResultsJsonPath, string SummaryPath, RunRecord Run);
