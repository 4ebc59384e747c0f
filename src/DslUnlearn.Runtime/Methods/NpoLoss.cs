using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

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
        var logRatio = current.SequenceLogProb().Plus((refTokens.Nll * current.Mask).sum(1));
        var loss = nn.functional.logsigmoid(logRatio.Times(-o.Beta)).mean().Times(-2.0 / o.Beta);
        return loss.MoveToOuterDisposeScope();
    }
}
