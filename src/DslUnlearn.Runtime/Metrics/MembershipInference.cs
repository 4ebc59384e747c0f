using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Stats;

namespace DslUnlearn.Metrics;

/// <summary>
/// A membership-inference attack as a metric (OpenUnlearning's convention: a higher score means "looks less
/// like training data"). value_by_index holds the split's per-sample scores. The aggregate is the AUC of
/// telling holdout (<see cref="MetricContext.Holdout"/>, examples never trained on; positive) from split
/// (members; negative) examples by score, as OpenUnlearning's mia_* metrics report it (forget vs holdout):
/// 1 when the split is far more likely than the holdout (memorized), 0.5 when indistinguishable. Without a
/// holdout it is an error (a build error from YAML), never a mean score passed off as the metric.
/// </summary>
public abstract class MiaMetric : IMetric
{
    /// <summary>Per-sample attack scores of <paramref name="examples"/> under <paramref name="model"/>.</summary>
    public abstract double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples);

    public MetricResult Compute(MetricContext c)
    {
        RequireHoldout(c, MetricName);
        var split = Scores(c, c.Model, c.Inputs);
        return new MetricResult(Auc(c, c.Model, split), split);
    }

    /// <summary>AUC of holdout vs split scores under <paramref name="model"/>; needs a holdout.</summary>
    public double Auc(MetricContext c, ICausalLM model, double[]? splitScores = null)
    {
        var holdout = RequireHoldout(c, MetricName);
        splitScores ??= Scores(c, model, c.Inputs);
        return Statistics.Auc(splitScores, Scores(c, model, c.Transform(holdout)));
    }

    /// <summary>The YAML name (from the attribute), for messages.</summary>
    private string MetricName => GetType().GetCustomAttributes(typeof(MetricAttribute), false).OfType<MetricAttribute>().FirstOrDefault()?.Name ?? GetType().Name;

    internal static IReadOnlyList<QaExample> RequireHoldout(MetricContext c, string metric)
        => c.Holdout is { Count: > 0 } h ? h : throw new ArgumentException($"{MetricNeedsText.For(metric, MetricNeeds.Holdout)} (split '{c.Split}' got none).");

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

/// <summary>LOSS attack (Yeom et al.): the mean NLL of the answer (EOS counted, as OpenUnlearning's LOSSAttack).</summary>
[Metric("mia_loss", Needs = MetricNeeds.Holdout)]
public sealed class MiaLossMetric(EosOptions options) : MiaMetric
{
    public EosOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
        => AnswerScorer.Score(c, examples, model: model, includeEos: options.IncludeEos).Select(s => s.MeanNll).ToArray();
}

/// <summary>
/// ZLib attack (Carlini et al., 2021): mean NLL divided by the zlib-compressed length in bytes of the answer's
/// UTF-8 text, Python's <c>len(zlib.compress(text))</c> (OpenUnlearning's ZLIBAttack). .NET's own ZLibStream
/// (zlib-ng) gives other lengths at every level; SharpCompress's managed port of zlib gives Python's on every
/// fixture text (tests/fixtures/zlib) and on all 9,402 distinct TOFU answers.
/// </summary>
[Metric("mia_zlib", Needs = MetricNeeds.Holdout)]
public sealed class MiaZlibMetric(EosOptions options) : MiaMetric
{
    public EosOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
        => AnswerScorer.Score(c, examples, model: model, includeEos: options.IncludeEos).Select((s, i) => s.MeanNll / ZlibLength(examples[i].Answer)).ToArray();

    /// <summary>Bytes of zlib.compress(UTF-8 of <paramref name="text"/>) at zlib's default level 6.</summary>
    public static int ZlibLength(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        // zlib's stream for no input is fixed: 2 header bytes, an empty final block (2), Adler-32 (4);
        // the port writes nothing at all when nothing was written.
        if (bytes.Length == 0) return 8;
        var buffer = new MemoryStream();
        using (var z = new SharpCompress.Compressors.Deflate.ZlibStream(buffer, SharpCompress.Compressors.CompressionMode.Compress,
                   SharpCompress.Compressors.Deflate.CompressionLevel.Default))
            z.Write(bytes);
        return buffer.ToArray().Length;
    }
}

/// <summary>Min-K% Prob (Shi et al., 2024): minus the mean of the lowest k share of the answer-token log-probabilities.</summary>
[Metric("mia_min_k", Needs = MetricNeeds.Holdout)]
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
[Metric("mia_min_k_plus_plus", Needs = MetricNeeds.Holdout)]
public sealed class MiaMinKPlusPlusMetric(MinKOptions options) : MiaMetric
{
    public MinKOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
        => AnswerScorer.Score(c, examples, moments: true, model: model).Select(s => Score(s, options.K)).ToArray();

    /// <summary>The Min-K%++ score of one answer's statistics (scored with moments).</summary>
    public static double Score(AnswerStats s, double k)
        => MinK(s.LogProbs.Select((lp, t) => (lp - s.LogProbMean![t]) / Math.Sqrt(Math.Max(s.LogProbVariance![t], 1e-6))).ToArray(), k);
}

/// <summary>Reference attack: mean NLL under the model minus mean NLL under the reference model (<see cref="MetricContext.Reference"/>), EOS counted as in OpenUnlearning's ReferenceAttack.</summary>
[Metric("mia_reference", Needs = MetricNeeds.Holdout | MetricNeeds.Oracle)]
public sealed class MiaReferenceMetric(EosOptions options) : MiaMetric
{
    public EosOptions Options => options;
    public override double[] Scores(MetricContext c, ICausalLM model, IReadOnlyList<QaExample> examples)
    {
        var reference = c.Reference ?? throw new ArgumentException($"{MetricNeedsText.For("mia_reference", MetricNeeds.Oracle)} (split '{c.Split}' got none).");
        var target = AnswerScorer.Score(c, examples, model: model, includeEos: options.IncludeEos);
        var refStats = AnswerScorer.Score(c, examples, model: reference, includeEos: options.IncludeEos);
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
[Metric("mia_gradnorm", Needs = MetricNeeds.Holdout)]
public sealed class MiaGradNormMetric : MiaMetric
{
    public static readonly IReadOnlyList<string> Norms = ["l1", "l2", "linf"];

    public MiaGradNormMetric(GradNormOptions options)
    {
        OptionChoice.Require("mia_gradnorm", "norm", options.Norm, Norms);
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
        using var eval = new EvalMode(module);
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
                using Scalar first = row.PromptLength - 1, end = row.PromptLength - 1 + row.AnswerLength;
                var positions = torch.arange(first, end, Torch.HeldScalars.OneInt, dtype: int64, device: c.Device);
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
                    var norm = Options.Norm switch { "l1" => a.sum(), "linf" => a.max(), _ => g.pow(Torch.HeldScalars.TwoInt).sum().sqrt() };
                    sum += norm.item<float>();
                    count++;
                }
                scores[i] = count == 0 ? 0 : sum / count;
            }
        }
        finally
        {
            module.zero_grad();
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
    /// <summary>AUC of the retain-only reference model used when the context has no reference model (direct API use:
    /// from YAML privleak needs finetune.oracle, whose AUC on the same sets is the reference, as OpenUnlearning reads
    /// the retain model's logs).</summary>
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
[Metric("privleak", Needs = MetricNeeds.Holdout | MetricNeeds.Oracle)]
public sealed class PrivLeakMetric : IMetric
{
    public static readonly IReadOnlyList<string> Attacks = ["mia_loss", "mia_zlib", "mia_min_k", "mia_min_k_plus_plus", "mia_gradnorm"];
    private readonly MiaMetric _attack;

    public PrivLeakMetric(PrivLeakOptions options)
    {
        Options = options;
        _attack = options.Attack switch
        {
            "mia_loss" => new MiaLossMetric(new EosOptions()),
            "mia_zlib" => new MiaZlibMetric(new EosOptions()),
            "mia_min_k" => new MiaMinKMetric(new MinKOptions { K = options.K }),
            "mia_min_k_plus_plus" => new MiaMinKPlusPlusMetric(new MinKOptions { K = options.K }),
            "mia_gradnorm" => new MiaGradNormMetric(new GradNormOptions()),
            _ => throw new ArgumentException($"privleak: unknown attack '{options.Attack}'; use one of {string.Join(", ", Attacks)}.", nameof(options)),
        };
    }

    public PrivLeakOptions Options { get; }

    public MetricResult Compute(MetricContext c)
    {
        MiaMetric.RequireHoldout(c, "privleak");
        double auc = _attack.Auc(c, c.Model);
        double reference = c.Reference is { } r ? _attack.Auc(c, r) : Options.ReferenceAuc;
        return new MetricResult(Value(auc, reference), null);
    }

    public static double Value(double auc, double referenceAuc)
        => ((1 - auc) - (1 - referenceAuc)) / (1 - referenceAuc + 1e-10) * 100;
}
