using DslUnlearn.Engine;
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
