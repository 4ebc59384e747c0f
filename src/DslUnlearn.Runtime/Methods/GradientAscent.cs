using DslUnlearn.Components;
using static TorchSharp.torch;

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

public record GdOptions : UnlearnOptions
{
    /// <summary>Weight of the retain NLL term.</summary>
    [Option(Min = 0)]
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
        return step.Retain is null ? forget : forget + options.RetainWeight * Losses.RetainNll(step.Model, step.Retain);
    }
}

public record KlOptions : UnlearnOptions
{
    /// <summary>Weight of the KL(original || current) term on the retain batch (see Losses.KlToReference).</summary>
    [Option(Min = 0)]
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
        return forget + options.RetainWeight * kl;
    }
}

public record WgaOptions : UnlearnOptions
{
    /// <summary>Exponent of the token weight w = p^alpha (p: the model's own probability of the token, detached).</summary>
    [Option(Min = 0)]
    public double Alpha { get; init; } = 1.0;
    /// <summary>Weight of an optional retain NLL term (0 = pure weighted GA).</summary>
    [Option(Min = 0)]
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
        var weight = (-t.Nll.detach() * options.Alpha).exp(); // p^alpha = exp(-alpha * NLL)
        var loss = -(weight * t.Nll * t.Mask).sum() / t.Mask.sum().clamp_min(1);
        if (options.RetainWeight > 0) loss = loss + options.RetainWeight * Losses.RetainNll(step.Model, Losses.RequireRetain(step, "wga"));
        return loss.MoveToOuterDisposeScope();
    }
}
