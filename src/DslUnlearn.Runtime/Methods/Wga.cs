using DslUnlearn.Components;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

public record WgaOptions : UnlearnOptions
{
    /// <summary>Exponent of the token weight w = p^alpha (p: the model's own probability of the token, detached).</summary>
    [Option(Min = 0)]
    public double Alpha { get; init; } = 1.0;
    /// <summary>Weight of an optional retain NLL term (0 = pure weighted GA).</summary>
    [Option(Min = 0, Aliases = ["retain_coef", "gamma"])]
    public double RetainWeight { get; init; }
}

/// <summary>
/// WGA (weighted gradient ascent): minimise -sum_t w_t NLL_t / n over the forget answer tokens, with
/// w_t = p_t^alpha detached, so tokens the model has already forgotten (small p) stop pushing;
/// plus retain_weight * NLL(retain).
/// </summary>
[UnlearningMethod("wga")]
public sealed class WeightedGradientAscent(WgaOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => false;
    public bool NeedsRetain => options.RetainWeight > 0;

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = NewDisposeScope();
        var t = Losses.ForgetTokens(step.Model, step.Forget, options);
        var weight = (-t.Nll.detach()).Times(options.Alpha).exp(); // p^alpha = exp(-alpha * NLL)
        var loss = -(weight * t.Nll * t.Mask).sum() / t.Mask.sum().clamp_min(Torch.HeldScalars.OneInt);
        return Losses.PlusRetainNll(loss, step, options.RetainWeight, "wga").MoveToOuterDisposeScope();
    }
}
