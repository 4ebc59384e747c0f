using DslUnlearn.Models;
using TorchSharp.Modules;

namespace DslUnlearn.Training;

/// <summary>
/// What a training loop (fine-tuning, unlearning) calls so that a killed run resumes bit-identically: the
/// loop restores at start and reports after every optimizer step; the checkpointer decides when to save
/// model weights, optimizer state, torch's RNG state and the loop's own state (sampler RNG state and cursor,
/// running sums, logs), which the loop hands over as JSON.
/// </summary>
public interface ITrainingCheckpointer
{
    /// <summary>Restores the newest valid checkpoint into <paramref name="module"/> and <paramref name="optimizer"/>;
    /// returns the loop state saved with it, or null to start from step 0.</summary>
    JsonObject? Restore(nn.Module module, OptimizerHelper optimizer);

    /// <summary>Called after each optimizer step (<paramref name="completedSteps"/> counts from 1).</summary>
    void AfterStep(int completedSteps, int totalSteps, ICausalLM model, OptimizerHelper optimizer, Func<JsonObject> loopState);
}
