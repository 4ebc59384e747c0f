using DslUnlearn.Data;
using DslUnlearn.Models;

namespace DslUnlearn.Attacks;

/// <summary>
/// A red-teaming attack on an unlearned model. It yields the model to measure (the same one, a changed
/// copy, or a view such as an intermediate-layer read-out) and optionally a transform of the inputs;
/// then the metrics run again. Attacks compose: the output of one is the input of the next.
/// </summary>
public interface IAttack
{
    AttackResult Apply(AttackContext context);
}

/// <param name="Model">The model under attack (not owned by the attack; do not dispose).</param>
/// <param name="Data">Forget and retain examples (relearning trains on them; in-context attacks borrow retain pairs).</param>
/// <param name="FinetuneLr">The original fine-tuning learning rate (relearning's default).</param>
public sealed record AttackContext(
    ICausalLM Model,
    QaDataset Data,
    QaEncoder Encoder,
    Device Device,
    ulong Seed,
    double FinetuneLr,
    Func<QaExample, QaExample>? InputTransform = null);

/// <param name="Model">Model to measure. If it is not the input model, the caller owns and disposes it.</param>
/// <param name="InputTransform">Applied to every example before the metrics see it (composed with earlier ones).</param>
public sealed record AttackResult(ICausalLM Model, Func<QaExample, QaExample>? InputTransform = null);
