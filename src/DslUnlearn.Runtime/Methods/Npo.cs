using DslUnlearn.Components;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

public record NpoOptions : UnlearnOptions
{
    /// <summary>Inverse temperature of the preference loss.</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double Beta { get; init; } = 0.1;
}

public record NpoRetainOptions : NpoOptions
{
    /// <summary>Weight of the retain term (NLL for npo_gd, KL for npo_kl).</summary>
    [Option(Min = 0)]
    public double RetainWeight { get; init; } = 1.0;
}

/// <summary>The NPO forget term shared by npo, npo_gd and npo_kl.</summary>
internal static class NpoLoss
{
    /// <summary>mean over rows of -2/beta * logsigmoid(-beta * (log p_theta(y|x) - log p_ref(y|x))), sequence
    /// log-probs summed over the counted answer tokens (tricks applied to both models, same tokens).</summary>
    public static Tensor Forget(UnlearnStep step, NpoOptions o, string method)
    {
        using var scope = torch.NewDisposeScope();
        var current = Losses.ForgetTokens(step.Model, step.Forget, o);
        var refTokens = Losses.ReferenceForgetTokens(step, method, o.ForgetTemperature);
        var logRatio = current.SequenceLogProb() + (refTokens.Nll * current.Mask).sum(1);
        var loss = -2.0 / o.Beta * nn.functional.logsigmoid(-o.Beta * logRatio).mean();
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>NPO: negative preference optimization against the frozen original model.</summary>
[UnlearningMethod("npo")]
public sealed class Npo(NpoOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => false;
    bool IUnlearningMethod.ReferenceOnlyOnForget => true; // explicit: not a public property, so not in stage keys or the resolved spec
    public Tensor Loss(UnlearnStep step) => NpoLoss.Forget(step, options, "npo");
}

/// <summary>NPO + GD: the NPO loss + retain_weight * NLL(retain).</summary>
[UnlearningMethod("npo_gd")]
public sealed class NpoGd(NpoRetainOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => true;
    bool IUnlearningMethod.ReferenceOnlyOnForget => true; // explicit: not a public property, so not in stage keys or the resolved spec
    public Tensor Loss(UnlearnStep step)
        => NpoLoss.Forget(step, options, "npo_gd") + options.RetainWeight * Losses.RetainNll(step.Model, Losses.RequireRetain(step, "npo_gd"));
}

/// <summary>NPO + KL: the NPO loss + retain_weight * KL(original || current) on the retain batch.</summary>
[UnlearningMethod("npo_kl")]
public sealed class NpoKl(NpoRetainOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => true;
    public Tensor Loss(UnlearnStep step)
        => NpoLoss.Forget(step, options, "npo_kl")
           + options.RetainWeight * Losses.KlToReference(step.Model, Losses.RequireReference(step, "npo_kl"), Losses.RequireRetain(step, "npo_kl"));
}

public record SimNpoOptions : UnlearnOptions
{
    /// <summary>Inverse temperature.</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double Beta { get; init; } = 4.5;
    /// <summary>Reward margin gamma.</summary>
    public double Gamma { get; init; }
    /// <summary>Weight of an optional retain NLL term (0 = off).</summary>
    [Option(Min = 0)]
    public double RetainWeight { get; init; }
}

/// <summary>
/// SimNPO: NPO without a reference model and with length normalisation:
/// mean over rows of -2/beta * logsigmoid(-beta/|y| * log p_theta(y|x) - gamma), plus retain_weight * NLL(retain).
/// </summary>
[UnlearningMethod("simnpo")]
public sealed class SimNpo(SimNpoOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => false;
    public bool NeedsRetain => options.RetainWeight > 0;

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        var t = Losses.ForgetTokens(step.Model, step.Forget, options);
        var normalized = t.SequenceLogProb() / t.Lengths().clamp_min(1);
        var loss = -2.0 / options.Beta * nn.functional.logsigmoid(-options.Beta * normalized - options.Gamma).mean();
        if (options.RetainWeight > 0) loss = loss + options.RetainWeight * Losses.RetainNll(step.Model, Losses.RequireRetain(step, "simnpo"));
        return loss.MoveToOuterDisposeScope();
    }
}
