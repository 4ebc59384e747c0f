using DslUnlearn.Components;
using DslUnlearn.Data;

namespace DslUnlearn.Metrics;

/// <summary>Whether a likelihood counts the closing EOS token.</summary>
public record EosOptions
{
    /// <summary>Count the closing EOS as one more answer token, as TOFU and OpenUnlearning do (their labels end
    /// with EOS); false scores the answer's own tokens only.</summary>
    public bool IncludeEos { get; init; } = true;
}

/// <summary>Which question and which answer a likelihood metric scores (TOFU's Q_A, Q_A_PARA, paraphrased-question variants).</summary>
public record AnswerOptions : EosOptions
{
    /// <summary>Condition on the paraphrased question instead of the original one.</summary>
    public bool ParaphrasedQuestion { get; init; }
    /// <summary>Score the paraphrased answer instead of the original one (an error on a split without paraphrased answers).</summary>
    public bool ParaphrasedAnswer { get; init; }
}

internal static class Likelihood
{
    public static AnswerStats[] Stats(MetricContext c, AnswerOptions o)
    {
        var inputs = c.Inputs;
        if (o.ParaphrasedAnswer)
        {
            inputs = inputs.Select(e => e with
            {
                Answer = e.ParaphrasedAnswer ?? throw new ArgumentException(
                    $"paraphrased_answer: example {e.Index} of split '{c.Split}' has no paraphrased answer (TOFU's *_perturbed files and the built-in data have them; real_authors and world_facts do not)."),
            }).ToArray();
        }
        return AnswerScorer.Score(c, inputs, o.ParaphrasedQuestion, includeEos: o.IncludeEos);
    }
}

/// <summary>Mean negative log-likelihood per answer token (nats), per sample; aggregate = mean over samples.</summary>
[Metric("nll", LowerIsBetter = true)]
public sealed class NllMetric(AnswerOptions options) : IMetric
{
    public AnswerOptions Options => options;
    public MetricResult Compute(MetricContext c) => MetricResult.FromValues(Likelihood.Stats(c, options).Select(s => s.MeanNll).ToArray());
}

/// <summary>Perplexity exp(mean NLL) per sample; aggregate = mean over samples. A uniform model scores the vocabulary size.</summary>
[Metric("perplexity", LowerIsBetter = true)]
public sealed class PerplexityMetric(AnswerOptions options) : IMetric
{
    public AnswerOptions Options => options;
    public MetricResult Compute(MetricContext c) => MetricResult.FromValues(Likelihood.Stats(c, options).Select(s => Math.Exp(s.MeanNll)).ToArray());
}

/// <summary>Length-normalized answer probability P(a|q)^(1/|a|) = exp(-mean NLL) (TOFU/OpenUnlearning "probability").</summary>
[Metric("answer_prob")]
public sealed class AnswerProbabilityMetric(AnswerOptions options) : IMetric
{
    public AnswerOptions Options => options;
    public MetricResult Compute(MetricContext c) => MetricResult.FromValues(Likelihood.Stats(c, options).Select(s => Math.Exp(-s.MeanNll)).ToArray());
}

/// <summary>
/// Answer probability against the wrong options (TOFU's real_authors / world_facts "Prob"; OpenUnlearning's
/// probability_w_options): p(answer) / (p(answer) + sum of p(perturbed answers) + 1e-10), each p length-normalized.
/// </summary>
[Metric("answer_prob_normalized")]
public sealed class NormalizedAnswerProbabilityMetric(EosOptions options) : IMetric
{
    public EosOptions Options => options;
    public MetricResult Compute(MetricContext c) => MetricResult.FromValues(Values(c, c.Inputs, includeEos: options.IncludeEos));

    internal static double[] Values(MetricContext c, IReadOnlyList<QaExample> inputs, Models.ICausalLM? model = null, bool includeEos = true)
    {
        TruthRatio.RequirePerturbed(inputs, c.Split, "answer_prob_normalized");
        var correct = AnswerScorer.MeanNll(c, inputs, e => e.Answer, model, includeEos);
        var wrong = TruthRatio.PerturbedNlls(c, inputs, model, includeEos);
        return inputs.Select((_, i) => FromNlls(correct[i], wrong[i])).ToArray();
    }

    /// <summary>p / (p + sum of the wrong options' p + 1e-10), each p = exp(-mean NLL).</summary>
    public static double FromNlls(double correctNll, IReadOnlyList<double> wrongNlls)
    {
        double p = Math.Exp(-correctNll);
        double w = wrongNlls.Sum(l => Math.Exp(-l));
        return p / (p + w + 1e-10);
    }
}
