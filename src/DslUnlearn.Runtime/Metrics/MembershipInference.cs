using System.IO.Compression;
using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Metrics;

/// <summary>
/// A membership-inference attack as a metric (OpenUnlearning's convention: a higher score means "looks less
/// like training data"). value_by_index holds the split's per-sample scores. With a holdout set in the
/// context (<see cref="MetricContext.Holdout"/>, examples never trained on) the aggregate is the AUC of
/// telling holdout (positive) from split (negative) examples by score: 1 when the split is far more likely
/// than the holdout (memorized), 0.5 when indistinguishable. Without a holdout it is the mean score.
/// </summary>
public abstract class MiaMetric : IMetric
{
    /// <summary>Per-sample attack scores of <paramref name="examples"/> under <paramref name="model"/>.</summary>
    public abstract double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples);

    public MetricResult Compute(MetricContext c)
    {
        var split = Scores(c, c.Model, c.Inputs);
        if (c.Holdout is null) return MetricResult.FromValues(split);
        return new MetricResult(Auc(c, c.Model, split), split);
    }

    /// <summary>AUC of holdout vs split scores under <paramref name="model"/>; needs a holdout.</summary>
    public double Auc(MetricContext c, ICausalLM model, double[]? splitScores = null)
    {
        var holdout = c.Holdout ?? throw new ArgumentException($"Membership-inference AUC on split '{c.Split}' needs a holdout set (examples the model never saw); none was given.");
        splitScores ??= Scores(c, model, c.Inputs);
        return Statistics.Auc(splitScores, Scores(c, model, c.Transform(holdout)));
    }

    internal static double MinK(IReadOnlyList<double> values, double k)
    {
        if (values.Count == 0) return 0;
        int count = Math.Max(1, (int)(values.Count * k));
        return -values.Order().Take(count).Average();
    }
}

public record MinKOptions
{
    /// <summary>Fraction of the answer tokens with the lowest scores that are averaged.</summary>
    [Option(Min = 0, Max = 1, MinExclusive = true)]
    public double K { get; init; } = 0.4;
}

/// <summary>LOSS attack (Yeom et al.): the mean NLL of the answer.</summary>
[Metric("mia_loss")]
public sealed class MiaLossMetric(NoOptions options) : MiaMetric
{
    public NoOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
        => AnswerScorer.Score(c, examples, model: model).Select(s => s.MeanNll).ToArray();
}

/// <summary>
/// ZLib attack (Carlini et al., 2021): mean NLL divided by the zlib-compressed length in bytes of the answer's
/// UTF-8 text. .NET's ZLibStream at its default ("optimal", zlib level 6) may differ by a byte or so from
/// Python's zlib.compress on some texts.
/// </summary>
[Metric("mia_zlib")]
public sealed class MiaZlibMetric(NoOptions options) : MiaMetric
{
    public NoOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
        => AnswerScorer.Score(c, examples, model: model).Select((s, i) => s.MeanNll / ZlibLength(examples[i].Answer)).ToArray();

    public static int ZlibLength(string text)
    {
        using var buffer = new MemoryStream();
        using (var z = new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return (int)buffer.Length;
    }
}

/// <summary>Min-K% Prob (Shi et al., 2024): minus the mean of the lowest k share of the answer-token log-probabilities.</summary>
[Metric("mia_min_k")]
public sealed class MiaMinKMetric(MinKOptions options) : MiaMetric
{
    public MinKOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
        => AnswerScorer.Score(c, examples, model: model).Select(s => MinK(s.LogProbs, options.K)).ToArray();
}

/// <summary>
/// Min-K%++ (Zhang et al., 2024): each answer-token log-probability is standardized by the mean and standard
/// deviation of the log-probability under the model's own next-token distribution, (log p(y_t) - mu_t) / sigma_t
/// (variance clamped at 1e-6), then minus the mean of the lowest k share.
/// </summary>
[Metric("mia_min_k_plus_plus")]
public sealed class MiaMinKPlusPlusMetric(MinKOptions options) : MiaMetric
{
    public MinKOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
        => AnswerScorer.Score(c, examples, moments: true, model: model)
            .Select(s => MinK(s.LogProbs.Select((lp, t) => (lp - s.LogProbMean![t]) / Math.Sqrt(Math.Max(s.LogProbVariance![t], 1e-6))).ToArray(), options.K))
            .ToArray();
}

/// <summary>Reference attack: mean NLL under the model minus mean NLL under the reference model (<see cref="MetricContext.Reference"/>).</summary>
[Metric("mia_reference")]
public sealed class MiaReferenceMetric(NoOptions options) : MiaMetric
{
    public NoOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
    {
        var reference = c.Reference ?? throw new ArgumentException($"mia_reference on split '{c.Split}' needs a reference model; none was given.");
        var target = AnswerScorer.Score(c, examples, model: model);
        var refStats = AnswerScorer.Score(c, examples, model: reference);
        return target.Select((s, i) => s.MeanNll - refStats[i].MeanNll).ToArray();
    }
}

public record GradNormOptions
{
    /// <summary>Which norm of each parameter's gradient: l1, l2 or linf.</summary>
    public string Norm { get; init; } = "l2";
}

/// <summary>
/// GradNorm attack: per sample, the gradient of the mean answer NLL with respect to every parameter, its
/// p-norm per parameter tensor, averaged over the tensors (OpenUnlearning's definition). One backward pass
/// per sample; the model's gradients are cleared afterwards and its weights are not changed.
/// </summary>
[Metric("mia_gradnorm")]
public sealed class MiaGradNormMetric : MiaMetric
{
    public static readonly IReadOnlyList<string> Norms = ["l1", "l2", "linf"];

    public MiaGradNormMetric(GradNormOptions options)
    {
        if (!Norms.Contains(options.Norm)) throw new ArgumentException($"mia_gradnorm: unknown norm '{options.Norm}'; use one of {string.Join(", ", Norms)}.", nameof(options));
        Options = options;
    }

    public GradNormOptions Options { get; }

    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
    {
        var rows = c.Encoder.EncodeAll(examples);
        var module = model.Module;
        var parameters = module.parameters().Where(p => p.requires_grad).ToArray();
        if (parameters.Length == 0) throw new ArgumentException("mia_gradnorm needs a model with trainable parameters (requires_grad); this one has none.");
        var scores = new double[rows.Length];
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var _ = torch.enable_grad();
            for (int i = 0; i < rows.Length; i++)
            {
                using var scope = torch.NewDisposeScope();
                var row = rows[i];
                if (row.AnswerLength < 1) throw new ArgumentException($"example {examples[i].Index} has an empty answer.");
                module.zero_grad();
                using var batch = TokenBatch.Collate([row], c.Device, c.Encoder.Tokenizer.PadId);
                var logp = model.Logits(batch.InputIds).to_type(ScalarType.Float32).log_softmax(-1)[0];
                var positions = torch.arange(row.PromptLength - 1, row.PromptLength - 1 + row.AnswerLength, dtype: int64, device: c.Device);
                var targets = torch.tensor(row.Ids[row.PromptLength..(row.PromptLength + row.AnswerLength)].Select(v => (long)v).ToArray(), dtype: int64, device: c.Device);
                var loss = -logp.index_select(0, positions).gather(1, targets.unsqueeze(1)).mean();
                loss.backward();
                double sum = 0;
                int count = 0;
                foreach (var p in parameters)
                {
                    var g = p.grad;
                    if (g is null) continue;
                    if (g.dtype != ScalarType.Float32) g = g.to_type(ScalarType.Float32); // 16-bit models: reduce in float32
                    var a = g.abs();
                    var norm = Options.Norm switch { "l1" => a.sum(), "linf" => a.max(), _ => g.square().sum().sqrt() };
                    sum += norm.item<float>();
                    count++;
                }
                scores[i] = count == 0 ? 0 : sum / count;
            }
        }
        finally
        {
            module.zero_grad();
            if (wasTraining) module.train();
        }
        return scores;
    }
}

public record PrivLeakOptions
{
    /// <summary>The membership-inference attack whose AUC is compared: mia_loss, mia_zlib, mia_min_k, mia_min_k_plus_plus or mia_gradnorm.</summary>
    public string Attack { get; init; } = "mia_min_k";
    /// <summary>k of the Min-K% attacks.</summary>
    [Option(Min = 0, Max = 1, MinExclusive = true)]
    public double K { get; init; } = 0.4;
    /// <summary>AUC of the retain-only reference model used when the context has no reference model.</summary>
    [Option(Min = 0, Max = 1)]
    public double ReferenceAuc { get; init; } = 0.5;
}

/// <summary>
/// PrivLeak (MUSE; OpenUnlearning's privleak): the relative gap, in percent, between the model's and the
/// reference model's membership-inference AUC of split vs holdout, on MUSE's 1 - AUC scale:
/// ((1 - AUC) - (1 - AUC_ref)) / (1 - AUC_ref + 1e-10) * 100. Near 0 = as private as the retain-only model;
/// strongly negative = the split still leaks. AUC_ref comes from <see cref="MetricContext.Reference"/> on the
/// same sets, else from <c>reference_auc</c>. Aggregate only; needs a holdout.
/// </summary>
[Metric("privleak")]
public sealed class PrivLeakMetric : IMetric
{
    public static readonly IReadOnlyList<string> Attacks = ["mia_loss", "mia_zlib", "mia_min_k", "mia_min_k_plus_plus", "mia_gradnorm"];
    private readonly MiaMetric _attack;

    public PrivLeakMetric(PrivLeakOptions options)
    {
        Options = options;
        _attack = options.Attack switch
        {
            "mia_loss" => new MiaLossMetric(new NoOptions()),
            "mia_zlib" => new MiaZlibMetric(new NoOptions()),
            "mia_min_k" => new MiaMinKMetric(new MinKOptions { K = options.K }),
            "mia_min_k_plus_plus" => new MiaMinKPlusPlusMetric(new MinKOptions { K = options.K }),
            "mia_gradnorm" => new MiaGradNormMetric(new GradNormOptions()),
            _ => throw new ArgumentException($"privleak: unknown attack '{options.Attack}'; use one of {string.Join(", ", Attacks)}.", nameof(options)),
        };
    }

    public PrivLeakOptions Options { get; }

    public MetricResult Compute(MetricContext c)
    {
        double auc = _attack.Auc(c, c.Model);
        double reference = c.Reference is { } r ? _attack.Auc(c, r) : Options.ReferenceAuc;
        return new MetricResult(Value(auc, reference), null);
    }

    public static double Value(double auc, double referenceAuc)
        => ((1 - auc) - (1 - referenceAuc)) / (1 - referenceAuc + 1e-10) * 100;
}
