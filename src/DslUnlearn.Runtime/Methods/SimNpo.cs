using DslUnlearn.Components;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

public record SimNpoOptions : UnlearnOptions
{
    /// <summary>Inverse temperature.</summary>
    [Option(Min = 0, MinExclusive = true, Aliases = ["b"])]
    public double Beta { get; init; } = 4.5;
    /// <summary>Reward margin gamma.</summary>
    public double Gamma { get; init; }
    /// <summary>Weight of an optional retain NLL term (0 = off).</summary>
    [Option(Min = 0, Aliases = ["retain_coef", "alpha"])]
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
        var normalized = t.SequenceLogProb() / t.Lengths().clamp_min(Torch.HeldScalars.OneInt);
        var loss = nn.functional.logsigmoid(normalized.Times(-options.Beta).Minus(options.Gamma)).mean().Times(-2.0 / options.Beta);
        return Losses.PlusRetainNll(loss, step, options.RetainWeight, "simnpo").MoveToOuterDisposeScope();
    }
}
