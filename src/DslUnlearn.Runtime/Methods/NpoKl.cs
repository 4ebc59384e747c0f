using DslUnlearn.Components;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

/// <summary>NPO + KL: the NPO loss + retain_weight * KL(original || current) on the retain batch.</summary>
[UnlearningMethod("npo_kl")]
public sealed class NpoKl(NpoRetainOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => true;
    public Tensor Loss(UnlearnStep step)
        => NpoLoss.Forget(step, options, "npo_kl")
           .Plus(Losses.KlToReference(step.Model, Losses.RequireReference(step, "npo_kl"), Losses.RequireRetain(step, "npo_kl")).Times(options.RetainWeight));
}
