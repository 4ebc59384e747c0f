using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>A spec's stage graph with its store, for the scale-out workers and `status` (nothing runs).</summary>
public sealed record PreparedGraph(ExperimentSpec Spec, StageGraph Graph, ArtifactStore Store, EngineOptions EngineOptions, string OutputDirectory);

public static partial class StagedExperimentRunner
{
    /// <summary>The stage graph of <paramref name="spec"/> (stages report to <see cref="RunOptions.Progress"/> when a worker builds them).</summary>
    public static PreparedGraph Graph(ExperimentSpec spec, RunOptions options)
    {
        var p = Prepare(spec, options, options.Progress);
        return new PreparedGraph(spec, p.Graph, p.Store, p.EngineOptions, p.OutDir);
    }
}
