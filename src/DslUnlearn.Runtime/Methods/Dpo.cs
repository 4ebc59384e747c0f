using DslUnlearn.Components;
using DslUnlearn.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

public record DpoOptions : UnlearnOptions
{
    /// <summary>Inverse temperature of the preference loss.</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double Beta { get; init; } = 0.1;
    /// <summary>Weight of an optional retain NLL term (0 = off).</summary>
    [Option(Min = 0)]
    public double RetainWeight { get; init; }
    /// <summary>Text file with one IdK answer per line; empty = the shipped list.</summary>
    [Option(Sweepable = false)]
    public string? IdkAnswersFile { get; init; }
    /// <summary>Seed of the per-row choice of IdK answer.</summary>
    [Option(Min = 0)]
    public int IdkSeed { get; init; }
}

/// <summary>
/// DPO with the IdK answer preferred and the real answer dispreferred, against the frozen original:
/// mean over rows of -2/beta * logsigmoid(beta * ((log p_theta(idk) - log p_ref(idk)) - (log p_theta(y) - log p_ref(y)))),
/// plus retain_weight * NLL(retain). The forget tricks apply to the real-answer (dispreferred) term.
/// </summary>
[UnlearningMethod("dpo")]
public sealed class Dpo(DpoOptions options) : IUnlearningMethod
{
    private IdkBatchBuilder? _builder;

    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => options.RetainWeight > 0;

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        var reference = Losses.RequireReference(step, "dpo");
        using var idk = IdkBatchBuilder.ForStep(ref _builder, step, options.IdkAnswersFile, options.IdkSeed, "dpo");
        var loss = PreferenceLoss(step.Model, reference, idk, step.Forget, options);
        if (options.RetainWeight > 0) loss = loss + options.RetainWeight * Losses.RetainNll(step.Model, Losses.RequireRetain(step, "dpo"));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The DPO term of OpenUnlearning's compute_dpo_loss: win = the IdK batch, lose = the forget batch (tricks applied to it).</summary>
    public static Tensor PreferenceLoss(Models.ICausalLM model, Models.ICausalLM reference, TokenBatch win, TokenBatch lose, DpoOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var w = Losses.PerToken(model.Logits(win.InputIds), win.Labels);
        var wRef = Losses.ReferenceTokens(reference, win);
        var l = Losses.ForgetTokens(model, lose, options);
        var lRef = Losses.ReferenceTokens(reference, lose, options.ForgetTemperature);
        var winRatio = w.SequenceLogProb() - wRef.SequenceLogProb();
        var loseRatio = l.SequenceLogProb() + (lRef.Nll * l.Mask).sum(1);
        return (-2.0 / options.Beta * nn.functional.logsigmoid(options.Beta * (winRatio - loseRatio)).mean()).MoveToOuterDisposeScope();
    }
}
