using DslUnlearn.Components;

namespace DslUnlearn.Methods;

public record GaOptions : UnlearnOptions;

/// <summary>GA: gradient ascent on the forget set, i.e. minimise -NLL(forget).</summary>
[UnlearningMethod("ga")]
public sealed class GradientAscent(GaOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => false;
    public bool NeedsRetain => false;
    public Tensor Loss(UnlearnStep step) => -Losses.ForgetNll(step.Model, step.Forget, options);
}
