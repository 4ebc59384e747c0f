using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Training;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

/// <summary>
/// Per-token NLL of a batch's labelled tokens (answer + closing EOS) and the mask of the tokens that count.
/// <see cref="Nll"/> is 0 wherever <see cref="Mask"/> is 0. Both are [batch, seq]; Mask is float32 0/1.
/// </summary>
public sealed record TokenLosses(Tensor Nll, Tensor Mask)
{
    /// <summary>Mean NLL over the counted tokens of the whole batch (a scalar).</summary>
    public Tensor Mean() => (Nll * Mask).sum() / Mask.sum().clamp_min(Torch.HeldScalars.OneInt);
    /// <summary>Per-row sum of log-probabilities over the counted tokens, log p(y|x) ([batch]).</summary>
    public Tensor SequenceLogProb() => -(Nll * Mask).sum(1);
    /// <summary>Counted tokens per row ([batch], float).</summary>
    public Tensor Lengths() => Mask.sum(1);
}

/// <summary>Token-level losses shared by all methods.</summary>
public static class Losses
{
    /// <summary>Per-token NLL of <paramref name="labels"/> under <paramref name="logits"/> / T; 0 where labels are ignored.</summary>
    public static TokenLosses PerToken(Tensor logits, Tensor labels, double temperature = 1.0)
    {
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
            throw new ArgumentException($"logits [batch, seq, vocab] and labels [batch, seq] disagree: [{string.Join(", ", logits.shape)}] vs [{string.Join(", ", labels.shape)}].");
        using var scope = torch.NewDisposeScope();
        var keep = labels.ne(TokenBatch.IgnoreIndexScalar);
        var safe = labels.masked_fill(keep.logical_not(), HeldScalars.ZeroInt);
        var scaled = temperature == 1.0 ? logits : logits.Over(temperature);
        var logp = nn.functional.log_softmax(scaled, -1).gather(-1, safe.unsqueeze(-1)).squeeze(-1);
        var mask = keep.to_type(ScalarType.Float32);
        var nll = -logp * mask;
        return new TokenLosses(nll.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Token loss selection: per row, keep the floor(q * n) counted tokens with the lowest NLL, as UWC does
    /// (tmlr-group/Unlearning-with-Control dataloader.py, ga with q: <c>(q * valid.sum(1).float()).int()</c>, the
    /// product in float32, then truncated). A row with q * n &lt; 1 keeps no token and adds nothing; a batch where no
    /// row keeps a token has loss 0 (UWC's 0/0 would be NaN). The returned mask is a subset of
    /// <paramref name="t"/>'s. Selection uses detached values, so no gradient flows through the choice. q = 1
    /// returns the mask unchanged.
    /// </summary>
    public static TokenLosses SelectLowest(TokenLosses t, double q)
    {
        if (!(q > 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "token_loss_fraction must be in (0, 1].");
        if (q == 1.0) return t;
        using var scope = torch.NewDisposeScope();
        var counted = t.Mask.gt(Torch.HeldScalars.ZeroInt);
        // Uncounted positions sort last.
        var key = t.Nll.detach().masked_fill(counted.logical_not(), HeldScalars.PositiveInfinity);
        var order = key.argsort(1);
        var rank = order.argsort(1);
        long[] n = t.Mask.sum(1).to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        var k = n.Select(c => SelectedCount(q, c)).ToArray();
        var kTensor = torch.tensor(k, dtype: ScalarType.Int64, device: t.Mask.device).unsqueeze(1);
        var mask = (rank.lt(kTensor).logical_and(counted)).to_type(ScalarType.Float32);
        return new TokenLosses(t.Nll, mask.MoveToOuterDisposeScope()); // t.Nll already lives outside this scope
    }

    /// <summary>Tokens kept of <paramref name="n"/> at fraction <paramref name="q"/>: floor of the float32 product (UWC's rounding).</summary>
    public static long SelectedCount(double q, long n) => (long)((float)q * (float)n);

    /// <summary>Per-token forget NLL of the real answers with the tricks of <paramref name="o"/> applied
    /// (logits / forget_temperature, then token_loss_fraction selection).</summary>
    public static TokenLosses ForgetTokens(ICausalLM model, TokenBatch forget, UnlearnOptions o)
    {
        using var scope = torch.NewDisposeScope();
        var t = SelectLowest(PerToken(model.Logits(forget.InputIds), forget.Labels, o.ForgetTemperature), o.TokenLossFraction);
        return new TokenLosses(t.Nll.MoveToOuterDisposeScope(), t.Mask.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The one forget NLL every method with a forget NLL term uses: the mean NLL of the forget answers, with
    /// the tricks applied. With both tricks off it is exactly <see cref="CausalLmLoss.Nll"/> (same kernel,
    /// same bits), so defaults reproduce the original GA/GD.
    /// </summary>
    public static Tensor ForgetNll(ICausalLM model, TokenBatch forget, UnlearnOptions o)
    {
        if (!o.UsesForgetTricks) return CausalLmLoss.Nll(model, forget);
        using var scope = torch.NewDisposeScope();
        return ForgetTokens(model, forget, o).Mean().MoveToOuterDisposeScope();
    }

    /// <summary>Per-token NLL of the frozen reference on <paramref name="batch"/> at temperature T, without a graph.</summary>
    public static TokenLosses ReferenceTokens(ICausalLM reference, TokenBatch batch, double temperature = 1.0)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var t = PerToken(reference.Logits(batch.InputIds), batch.Labels, temperature);
        return new TokenLosses(t.Nll.MoveToOuterDisposeScope(), t.Mask.MoveToOuterDisposeScope());
    }

    /// <summary>The reference's per-token NLL on the step's forget batch: from the precomputed table when the loop
    /// made one, else from the reference model (the same call, so the same bits).</summary>
    public static TokenLosses ReferenceForgetTokens(UnlearnStep step, string method, double temperature)
        => step.ReferenceCache?.Find(step.Forget, temperature) ?? ReferenceTokens(RequireReference(step, method), step.Forget, temperature);

    /// <summary>
    /// The KL retain term of TOFU, OpenUnlearning and UWC: KL(p_ref || p_theta), i.e.
    /// <c>kl_div(log p_theta, log p_ref, reduction="batchmean", log_target=True)</c> over the logits flattened to
    /// [batch * seq, vocab]: sum over the vocabulary of p_ref (log p_ref - log p_theta), averaged over every position
    /// of the padded batch (prompt, answer and padding alike; "batchmean" of the flattened rows is a per-position
    /// mean). Positions are those of <see cref="TokenBatch"/>: the longest row minus its last token, so the
    /// references, which also feed the EOS position, average over one position more per row, and TOFU, which pads to
    /// max_length, over many more. Gradient flows into the current model only.
    /// </summary>
    public static Tensor KlToReference(ICausalLM model, ICausalLM reference, TokenBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        Tensor refLogp;
        using (torch.no_grad()) refLogp = nn.functional.log_softmax(reference.Logits(batch.InputIds), -1);
        var logp = nn.functional.log_softmax(model.Logits(batch.InputIds), -1);
        long vocab = logp.shape[^1];
        var kl = nn.functional.kl_div(logp.reshape(-1, vocab), refLogp.reshape(-1, vocab), reduction: nn.Reduction.Sum, log_target: true);
        return kl.Over(logp.shape[0] * logp.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>Mean NLL of the retain batch (the GD term).</summary>
    public static Tensor RetainNll(ICausalLM model, TokenBatch retain) => CausalLmLoss.Nll(model, retain);

    /// <summary>The optional retain term of simnpo, wga, dpo and idk_po: <paramref name="loss"/> + weight * NLL(retain).
    /// At weight 0 it is <paramref name="loss"/> itself, and the method's NeedsRetain is false (the step may have no
    /// retain batch).</summary>
    public static Tensor PlusRetainNll(Tensor loss, UnlearnStep step, double weight, string method)
        => weight > 0 ? loss.Plus(RetainNll(step.Model, RequireRetain(step, method)).Times(weight)) : loss;

    internal static ICausalLM RequireReference(UnlearnStep step, string method)
        => step.Reference ?? throw new InvalidOperationException($"Method '{method}' needs the frozen reference model, and the step has none: run it through UnlearningLoop, which makes one when NeedsReference is true.");

    internal static TokenBatch RequireRetain(UnlearnStep step, string method)
        => step.Retain ?? throw new InvalidOperationException($"Method '{method}' needs a retain batch, and the step has none: run it through UnlearningLoop with a non-empty retain split.");

    /// <summary>For methods without a forget NLL term: the tricks would be silently ignored, so refuse them.</summary>
    internal static void RejectForgetTricks(UnlearnOptions o, string method)
    {
        if (o.UsesForgetTricks)
            throw new ArgumentException($"unlearn '{o.Name ?? method}' (method {method}): forget_temperature and token_loss_fraction apply to methods with a forget NLL term, and {method} has none; remove them (or set them to 1).");
    }
}
