using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Torch;

namespace DslUnlearn.Training;

public static class CausalLmLoss
{
    /// <summary>Mean next-token NLL over the labelled (answer + EOS) tokens of the batch (<paramref name="reduction"/> Sum: their sum).</summary>
    public static Tensor Nll(ICausalLM model, TokenBatch batch, nn.Reduction reduction = nn.Reduction.Mean)
    {
        using var scope = torch.NewDisposeScope();
        var logits = model.Logits(batch.InputIds);
        long vocab = logits.shape[^1];
        var loss = nn.functional.cross_entropy(logits.view(-1, vocab), batch.Labels.view(-1), ignore_index: TokenBatch.IgnoreIndex, reduction: reduction);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Nll"/> of the batch <paramref name="rows"/> would make, computed on their real tokens only: the rows in
    /// <see cref="LengthGroups"/>, each group padded to its own longest row, the summed NLL of every group over the
    /// labelled tokens of all rows. The same value as the padded batch's up to floating-point summation order.
    /// </summary>
    public static Tensor NllByLengthGroups(ICausalLM model, IReadOnlyList<EncodedQa> rows, int groups, Device device, int padId)
    {
        using var scope = torch.NewDisposeScope();
        long labelled = rows.Sum(r => (long)(r.Ids.Length - r.PromptLength)); // TokenBatch labels positions PromptLength-1 .. end-1
        if (labelled <= 0) throw new ArgumentException("The batch has no labelled token (every row is prompt only).", nameof(rows));
        Tensor? total = null;
        foreach (var group in LengthGroups.Split(rows, groups))
        {
            using var batch = TokenBatch.Collate(group, device, padId);
            var sum = Nll(model, batch, nn.Reduction.Sum);
            total = total is null ? sum : total.Plus(sum);
        }
        using var count = ((double)labelled).ToScalar(); // held: a temporary Scalar may be finalized mid-call
        return total!.div(count).MoveToOuterDisposeScope();
    }
}
