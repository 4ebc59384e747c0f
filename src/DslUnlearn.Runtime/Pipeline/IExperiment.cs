using DslUnlearn.Specs;

namespace DslUnlearn.Pipeline;

/// <summary>A compiled experiment: the generator emits one implementation per YAML spec.</summary>
public interface IExperiment
{
    string Name { get; }
    ExperimentSpec Spec { get; }
    /// <summary>Runs the experiment (or a variant of it, see <see cref="RunOptions"/>).</summary>
    ExperimentResult Run(RunOptions options);
}
