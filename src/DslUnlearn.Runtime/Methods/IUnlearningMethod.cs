using DslUnlearn.Data;
using DslUnlearn.Models;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

/// <summary>
/// One unlearning method: the loss of one step. All methods share one training loop
/// (<see cref="UnlearningLoop"/>), which owns batching, optimizer, schedule, clipping and checkpoints.
/// </summary>
public interface IUnlearningMethod
{
    /// <summary>Training options shared by every method (lr, steps, batch, ...).</summary>
    UnlearnOptions Options { get; }
    /// <summary>Whether <see cref="UnlearnStep.Reference"/> (the frozen original model) must be provided.</summary>
    bool NeedsReference { get; }
    /// <summary>Whether <see cref="UnlearnStep.Retain"/> batches must be provided.</summary>
    bool NeedsRetain { get; }
    /// <summary>The scalar loss to minimise for this step (inside the caller's dispose scope).</summary>
    Tensor Loss(UnlearnStep step);
}

/// <summary>Inputs of one step. Reference is frozen (no grad) and present only when the method needs it.</summary>
public sealed record UnlearnStep(ICausalLM Model, ICausalLM? Reference, TokenBatch Forget, TokenBatch? Retain, int StepIndex);

/// <summary>
/// Options every method has. Method options records derive from this, so their YAML item is flat:
/// <c>- method: npo, beta: 0.1, lr: 1e-5, steps: 20</c>.
/// </summary>
public record UnlearnOptions
{
    /// <summary>Label in tables and artifact names; defaults to the method name.</summary>
    [Components.Option(Sweepable = false)]
    public string? Name { get; init; }
    /// <summary>Learning rate.</summary>
    [Components.Option(Min = 0, MinExclusive = true)]
    public double Lr { get; init; } = 1e-4;
    /// <summary>Optimizer steps.</summary>
    [Components.Option(Min = 1)]
    public int Steps { get; init; } = 10;
    /// <summary>Examples per forget (and retain) batch.</summary>
    [Components.Option(Min = 1)]
    public int BatchSize { get; init; } = 16;
}
