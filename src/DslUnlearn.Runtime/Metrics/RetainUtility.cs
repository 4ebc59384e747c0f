using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Stats;

namespace DslUnlearn.Metrics;

/// <summary>
/// The split's share of TOFU's and OpenUnlearning's model utility (<see cref="ModelUtilityMetric"/>): the harmonic mean of
/// the 3 parts measured on the split itself, i.e. mean answer probability exp(-mean NLL), ROUGE-L recall of the greedy
/// answer, and truth ratio mean max(0, 1 - R). model_utility adds the same kind of parts on real_authors and world_facts,
/// which only TOFU has; this metric needs none, so a testbed or synthetic run can filter its models by a utility made
/// the way OpenUnlearning makes it (docs/robustness.md, "Which unlearned models enter R and Q"). Meant for retain.
/// Aggregate only; zero when any part is zero. Needs perturbed answers (truth ratio).
/// </summary>
[Metric("retain_utility", Version = 2)] // 2: greedy answers from ES's prompt (Generations.PromptIds)
public sealed class RetainUtilityMetric(GenerationOptions options) : IMetric
{
    public GenerationOptions Options => options;

    public MetricResult Compute(MetricContext c) => new(Statistics.HarmonicMean(Parts(c, c.Inputs, options.MaxNewTokens).Select(p => p.Value).ToArray()), null);

    /// <summary>The 3 named parts on <paramref name="inputs"/> (the split's rows): "retain/answer_prob", "retain/rouge_l_recall", "retain/truth_ratio".</summary>
    public static IReadOnlyList<KeyValuePair<string, double>> Parts(MetricContext c, IReadOnlyList<QaExample> inputs, int maxNewTokens) =>
    [
        new($"{c.Split}/answer_prob", AnswerScorer.Score(c, inputs, includeEos: true).Average(s => Math.Exp(-s.MeanNll))),
        new($"{c.Split}/rouge_l_recall", RougeRecall(c, inputs, maxNewTokens)),
        new($"{c.Split}/truth_ratio", TruthRatio.Aggregate(TruthRatio.Ratios(c, inputs), "true_better")),
    ];

    internal static double RougeRecall(MetricContext c, IReadOnlyList<QaExample> xs, int maxNewTokens)
    {
        var gen = Generations.Answers(c, xs, maxNewTokens);
        return xs.Select((e, i) => Rouge.RougeL(e.Answer, gen[i]).Recall).Average();
    }
}
