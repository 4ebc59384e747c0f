using DslUnlearn.Data;
using DslUnlearn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Training;

public static class CausalLmLoss
{
    /// <summary>Mean next-token NLL over the labelled (answer + EOS) tokens of the batch.</summary>
    public static Tensor Nll(ICausalLM model, TokenBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        var logits = model.Logits(batch.InputIds);
        long vocab = logits.shape[^1];
        var loss = nn.functional.cross_entropy(logits.view(-1, vocab), batch.Labels.view(-1), ignore_index: TokenBatch.IgnoreIndex);
        return loss.MoveToOuterDisposeScope();
    }
}
