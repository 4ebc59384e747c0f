using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Text;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

public record DpoOptions : UnlearnOptions
{
    /// <summary>Inverse temperature of the preference loss.</summary>
    [Option(Min = 0, MinExclusive = true, Aliases = ["b"])]
    public double Beta { get; init; } = 0.1;
    /// <summary>Weight of an optional retain NLL term (0 = off).</summary>
    [Option(Min = 0, Aliases = ["retain_coef", "alpha", "gamma"])]
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
/// The reference enters only through its per-token NLL on the forget batch and on the IdK batch, so the loop
/// precomputes both (<see cref="ReferenceLogProbs"/>) and trains without the reference model.
/// </summary>
[UnlearningMethod("dpo")]
public sealed class Dpo(DpoOptions options) : IUnlearningMethod
{
    private IdkBatchBuilder? _builder;

    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => options.RetainWeight > 0;
    bool IUnlearningMethod.ReferenceOnlyOnForget => true; // explicit: not a public property, so not in stage keys or the resolved spec

    IEnumerable<TokenBatch> IUnlearningMethod.ReferenceBatches(IReadOnlyList<EncodedQa> forgetRows, int stepIndex, ITokenizer? tokenizer, Device device)
        => [IdkBatchBuilder.ForRows(ref _builder, tokenizer, forgetRows, stepIndex, device, options.IdkAnswersFile, options.IdkSeed, "dpo")];

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        using var idk = IdkBatchBuilder.ForStep(ref _builder, step, options.IdkAnswersFile, options.IdkSeed, "dpo");
        // From the precomputed table when the loop made one, else from the reference model (the same call, the same bits).
        var wRef = step.ReferenceCache?.Find(idk, 1.0) ?? Losses.ReferenceTokens(Losses.RequireReference(step, "dpo"), idk);
        var lRef = Losses.ReferenceForgetTokens(step, "dpo", options.ForgetTemperature);
        var loss = PreferenceLoss(step.Model, idk, wRef, step.Forget, lRef, options);
        return Losses.PlusRetainNll(loss, step, options.RetainWeight, "dpo").MoveToOuterDisposeScope();
    }

    /// <summary>The DPO term of OpenUnlearning's compute_dpo_loss: win = the IdK batch, lose = the forget batch (tricks applied to it).</summary>
    public static Tensor PreferenceLoss(Models.ICausalLM model, Models.ICausalLM reference, TokenBatch win, TokenBatch lose, DpoOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var wRef = Losses.ReferenceTokens(reference, win);
        var lRef = Losses.ReferenceTokens(reference, lose, options.ForgetTemperature);
        return PreferenceLoss(model, win, wRef, lose, lRef, options).MoveToOuterDisposeScope();
    }

    /// <summary>The same term given the reference's per-token NLL on <paramref name="win"/> (temperature 1) and on
    /// <paramref name="lose"/> (the forget temperature).</summary>
    public static Tensor PreferenceLoss(Models.ICausalLM model, TokenBatch win, TokenLosses wRef, TokenBatch lose, TokenLosses lRef, DpoOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var w = Losses.PerToken(model.Logits(win.InputIds), win.Labels);
        var l = Losses.ForgetTokens(model, lose, options);
        var winRatio = w.SequenceLogProb() - wRef.SequenceLogProb();
        var loseRatio = l.SequenceLogProb().Plus((lRef.Nll * l.Mask).sum(1));
        return nn.functional.logsigmoid((winRatio - loseRatio).Times(options.Beta)).mean().Times(-2.0 / options.Beta).MoveToOuterDisposeScope();
    }
}
