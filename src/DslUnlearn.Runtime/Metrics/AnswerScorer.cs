using DslUnlearn.Data;
using DslUnlearn.Models;

namespace DslUnlearn.Metrics;

/// <summary>
/// Teacher-forced statistics of one answer: at each answer position (the prompt masked; the closing EOS
/// counted only when the scorer was asked to include it) the log-probability of the answer token, the greedy prediction, and optionally the mean and
/// variance of the log-probability under the model's own distribution (for Min-K%++).
/// </summary>
public sealed record AnswerStats(double[] LogProbs, long[] Predicted, long[] Answer, double[]? LogProbMean = null, double[]? LogProbVariance = null)
{
    /// <summary>Mean negative log-likelihood per scored token (OpenUnlearning's avg_loss when EOS is included).</summary>
    public double MeanNll => -LogProbs.Average();
}

/// <summary>Batched no-grad passes that turn encoded QA pairs into <see cref="AnswerStats"/>; every likelihood
/// metric is built on this. With <c>includeEos</c> the closing EOS is one more scored token: TOFU's and
/// OpenUnlearning's labels end with it, so their probability, truth ratio, LOSS and ZLib count it
/// (evaluate_probability), while their ES, EM, Min-K, Min-K++ and GradNorm drop it (tokenwise_logprobs).</summary>
public static class AnswerScorer
{
    public static AnswerStats[] Score(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId, bool moments = false, bool includeEos = false)
    {
        var result = new AnswerStats[rows.Count];
        ForEachBatch(model, rows, batchSize, device, padId, (logits, batch, part, start) => FromLogits(logits, batch.Labels, part, moments, includeEos, result, start));
        return result;
    }

    /// <summary>
    /// The teacher-forced scoring loop every likelihood pass shares: checks the rows, then per batch (in eval mode,
    /// without gradients, inside a dispose scope) one forward pass whose logits [rows, width, vocab] go to
    /// <paramref name="onBatch"/> with the collated batch, its rows and the index of its first row.
    /// </summary>
    internal static void ForEachBatch(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId,
        Action<Tensor, TokenBatch, EncodedQa[], int> onBatch)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"The scoring batch size is {batchSize}; it must be at least 1 (the number of QA rows scored in one forward pass).");
        foreach (var r in rows)
            if (r.AnswerLength < 1) throw new ArgumentException("An example has an empty answer: likelihood metrics need at least one answer token.", nameof(rows));
        using var eval = new EvalMode(model.Module);
        using var _ = torch.no_grad();
        for (int start = 0; start < rows.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var part = rows.Skip(start).Take(batchSize).ToArray();
            using var batch = TokenBatch.Collate(part, device, padId);
            onBatch(model.Logits(batch.InputIds), batch, part, start);
        }
    }

    /// <summary>The statistics of one collated batch's rows from its logits [rows, width, vocab] and shifted labels, written to
    /// <paramref name="result"/>[start..]. Call inside a dispose scope (the intermediate tensors die with it).</summary>
    internal static void FromLogits(Tensor logits, Tensor labels, IReadOnlyList<EncodedQa> part, bool moments, bool includeEos, AnswerStats[] result, int start)
    {
        var logp = logits.to_type(ScalarType.Float32).log_softmax(-1);
        var target = labels.clamp_min(Torch.HeldScalars.ZeroInt);
        float[] tok = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1).cpu().data<float>().ToArray();
        long[] pred = logp.argmax(-1).cpu().data<long>().ToArray();
        float[]? mu = null, var = null;
        if (moments)
        {
            var p = logp.exp();
            var m = (p * logp).sum(-1);
            var second = (p * logp * logp).sum(-1);
            mu = m.cpu().data<float>().ToArray();
            var = (second - m * m).cpu().data<float>().ToArray();
        }
        int width = (int)logits.shape[1];
        for (int r = 0; r < part.Count; r++)
        {
            var row = part[r];
            int first = row.PromptLength - 1, n = row.AnswerLength + (includeEos ? 1 : 0), off = r * width + first;
            var lp = new double[n];
            var pr = new long[n];
            var ans = new long[n];
            double[]? rm = moments ? new double[n] : null, rv = moments ? new double[n] : null;
            for (int t = 0; t < n; t++)
            {
                lp[t] = tok[off + t];
                pr[t] = pred[off + t];
                ans[t] = row.Ids[row.PromptLength + t];
                if (moments) { rm![t] = mu![off + t]; rv![t] = var![off + t]; }
            }
            result[start + r] = new AnswerStats(lp, pr, ans, rm, rv);
        }
    }

    /// <summary>Scores <paramref name="examples"/> with the context's encoder (and <paramref name="model"/>, default the context's model).
    /// Within one evaluation pass the context's <see cref="MetricContext.Cache"/> answers rows that were scored before.</summary>
    public static AnswerStats[] Score(MetricContext c, IReadOnlyList<QaExample> examples, bool paraphrasedQuestion = false, bool moments = false, ICausalLM? model = null, bool includeEos = false)
    {
        var rows = c.Encoder.EncodeAll(examples, paraphrasedQuestion);
        return c.Cache is { } cache
            ? cache.Stats(model ?? c.Model, rows, c.BatchSize, c.Device, c.Encoder.Tokenizer.PadId, moments, includeEos)
            : Score(model ?? c.Model, rows, c.BatchSize, c.Device, c.Encoder.Tokenizer.PadId, moments, includeEos);
    }

    /// <summary>Mean NLL of each example's answer replaced by <paramref name="answerOf"/> (paraphrased or perturbed answers).</summary>
    public static double[] MeanNll(MetricContext c, IReadOnlyList<QaExample> examples, Func<QaExample, string> answerOf, ICausalLM? model = null, bool includeEos = false)
        => Score(c, examples.Select(e => e with { Answer = answerOf(e) }).ToArray(), model: model, includeEos: includeEos).Select(s => s.MeanNll).ToArray();
}
