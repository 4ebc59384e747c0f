using DslUnlearn.Components;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

/// <summary>NPO + GD: the NPO loss + retain_weight * NLL(retain).</summary>
[UnlearningMethod("npo_gd")]
public sealed class NpoGd(NpoRetainOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => true;
    bool IUnlearningMethod.ReferenceOnlyOnForget => true; // explicit: not a public property, so not in stage keys or the resolved spec
    public Tensor Loss(UnlearnStep step)
        => NpoLoss.Forget(step, options, "npo_gd").Plus(Losses.RetainNll(step.Model, Losses.RequireRetain(step, "npo_gd")).Times(options.RetainWeight));
}
