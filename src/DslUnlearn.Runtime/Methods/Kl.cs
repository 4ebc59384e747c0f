using DslUnlearn.Components;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

public record KlOptions : UnlearnOptions
{
    /// <summary>Weight of the KL(original || current) term on the retain batch (see Losses.KlToReference).</summary>
    [Option(Min = 0, Aliases = ["retain_coef", "alpha", "gamma"])]
    public double RetainWeight { get; init; } = 1.0;
}

/// <summary>KL: minimise -NLL(forget) + retain_weight * KL(original || current) on the retain batch, the references' direction.</summary>
[UnlearningMethod("kl")]
public sealed class KlMinimization(KlOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => true;

    public Tensor Loss(UnlearnStep step)
    {
        var forget = -Losses.ForgetNll(step.Model, step.Forget, options);
        var kl = Losses.KlToReference(step.Model, Losses.RequireReference(step, "kl"), Losses.RequireRetain(step, "kl"));
        return forget.Plus(kl.Times(options.RetainWeight));
    }
}
