using DslUnlearn.Components;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

public record GdOptions : UnlearnOptions
{
    /// <summary>Weight of the retain NLL term.</summary>
    [Option(Min = 0, Aliases = ["retain_coef", "alpha", "gamma"])]
    public double RetainWeight { get; init; } = 1.0;
}

/// <summary>GD (gradient difference): minimise -NLL(forget) + retain_weight * NLL(retain).</summary>
[UnlearningMethod("gd")]
public sealed class GradientDifference(GdOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => false;
    public bool NeedsRetain => true;

    public Tensor Loss(UnlearnStep step)
    {
        var forget = -Losses.ForgetNll(step.Model, step.Forget, options);
        return step.Retain is null ? forget : forget.Plus(Losses.RetainNll(step.Model, step.Retain).Times(options.RetainWeight));
    }
}
