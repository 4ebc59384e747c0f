using DslUnlearn.Engine;
using DslUnlearn.Specs;

namespace DslUnlearn.Pipeline;

/// <summary>A compiled experiment: the generator emits one implementation per YAML spec.</summary>
public interface IExperiment
{
    string Name { get; }
    ExperimentSpec Spec { get; }
    /// <summary>The experiment-level sweep cells in order (each spec's <see cref="ExperimentSpec.Cell"/> is its id); just <see cref="Spec"/> when nothing is swept.</summary>
    IReadOnlyList<ExperimentSpec> Cells => [Spec];
    /// <summary>The static stage plan of each cell, in <see cref="Cells"/>' order (emitted by the generator; docs/engine-and-artifacts.md, "The stage plan").</summary>
    IReadOnlyList<Engine.StaticPlan> Plans { get; }
    /// <summary>Runs the experiment (or a variant of it, see <see cref="RunOptions"/>).</summary>
    ExperimentResult Run(RunOptions options);
}
