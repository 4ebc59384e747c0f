using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Stats;

namespace DslUnlearn.Metrics;

public record TruthRatioOptions : EosOptions
{
    /// <summary>
    /// How per-sample ratios become one number: closer_to_1 (TOFU's forget aggregation, mean of min(R, 1/R)),
    /// true_better (TOFU's retain aggregation, mean of max(0, 1 - R)), or auto (closer_to_1 on the split named
    /// "forget", true_better on every other split).
    /// </summary>
    public string Aggregation { get; init; } = "auto";
}

/// <summary>
/// Truth ratio (TOFU): per sample R = p(wrong) / p(true), where p(true) = exp(-mean NLL) of the paraphrased
/// answer (the original answer on sets without paraphrases, such as real_authors and world_facts) and
/// p(wrong) = exp(-mean over the perturbed answers of their mean NLL), as OpenUnlearning computes it.
/// value_by_index holds R; the aggregate is TOFU's forget or retain aggregation.
/// </summary>
[Metric("truth_ratio", LowerIsBetterOnForget = true)]
public sealed class TruthRatioMetric : IMetric, ISampleAggregate
{
    public static readonly IReadOnlyList<string> Aggregations = ["auto", "closer_to_1", "true_better"];

    public TruthRatioMetric(TruthRatioOptions options)
    {
        OptionChoice.Require("truth_ratio", "aggregation", options.Aggregation, Aggregations);
        Options = options;
    }

    public TruthRatioOptions Options { get; }

    public MetricResult Compute(MetricContext c)
    {
        var ratios = TruthRatio.Ratios(c, c.Inputs, includeEos: Options.IncludeEos);
        return new MetricResult(Aggregate(ratios, c.Split), ratios);
    }

    /// <summary>The configured aggregation of per-sample ratios R ("auto": closer_to_1 on forget, true_better elsewhere).</summary>
    public double Aggregate(IReadOnlyList<double> ratios, string split) => TruthRatio.Aggregate(ratios, AggregationOn(split));

    /// <summary>The aggregation this instance uses on <paramref name="split"/> ("auto" resolved).</summary>
    public string AggregationOn(string split)
        => Options.Aggregation == "auto" ? (split == "forget" ? "closer_to_1" : "true_better") : Options.Aggregation;

    /// <summary>closer_to_1 is lower for more knowledge (a model that knows has R far below 1, one that never saw the data R near 1);
    /// true_better, mean max(0, 1 - R), is higher for more knowledge.</summary>
    public bool LowerIsBetterOn(string split) => AggregationOn(split) == "closer_to_1";
}

public static class TruthRatio
{
    /// <summary>Per-sample R = p(wrong) / (p(true) + 1e-10).</summary>
    public static double[] Ratios(MetricContext c, IReadOnlyList<QaExample> inputs, ICausalLM? model = null, bool includeEos = true)
    {
        RequirePerturbed(inputs, c.Split, "truth_ratio");
        var correct = AnswerScorer.MeanNll(c, inputs, e => e.TrueAnswerForTruthRatio, model, includeEos);
        var wrong = PerturbedNlls(c, inputs, model, includeEos);
        return inputs.Select((_, i) => FromNlls(correct[i], wrong[i])).ToArray();
    }

    /// <summary>R from the true answer's mean NLL and each perturbed answer's mean NLL.</summary>
    public static double FromNlls(double trueNll, IReadOnlyList<double> perturbedNlls)
        => Math.Exp(-perturbedNlls.Average()) / (Math.Exp(-trueNll) + 1e-10);

    /// <summary>closer_to_1: mean of min(R, 1/(R + 1e-10)); true_better: mean of max(0, 1 - R).</summary>
    public static double Aggregate(IReadOnlyList<double> ratios, string aggregation) => aggregation switch
    {
        "closer_to_1" => ratios.Average(r => Math.Min(r, 1 / (r + 1e-10))),
        "true_better" => ratios.Average(r => Math.Max(0, 1 - r)),
        _ => throw new ArgumentException($"unknown truth-ratio aggregation '{aggregation}'.", nameof(aggregation)),
    };

    /// <summary>Mean NLL of every perturbed answer of every example (one batched pass over all of them).</summary>
    internal static double[][] PerturbedNlls(MetricContext c, IReadOnlyList<QaExample> inputs, ICausalLM? model = null, bool includeEos = true)
    {
        var flat = inputs.SelectMany(e => e.PerturbedAnswers.Select(p => e with { Answer = p })).ToArray();
        var nll = AnswerScorer.Score(c, flat, model: model, includeEos: includeEos).Select(s => s.MeanNll).ToArray();
        var result = new double[inputs.Count][];
        int k = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            result[i] = nll[k..(k + inputs[i].PerturbedAnswers.Count)];
            k += inputs[i].PerturbedAnswers.Count;
        }
        return result;
    }

    internal static void RequirePerturbed(IReadOnlyList<QaExample> inputs, string split, string metric)
    {
        var missing = inputs.FirstOrDefault(e => e.PerturbedAnswers.Count == 0);
        if (missing is not null)
            throw new ArgumentException($"{metric} needs perturbed (wrong) answers, but example {missing.Index} of split '{split}' has none. Use TOFU's *_perturbed files (forgetXX_perturbed, retain_perturbed, real_authors_perturbed, world_facts_perturbed) or the built-in data.");
    }
}

/// <summary>
/// Forget quality (TOFU): p-value of the two-sample Kolmogorov-Smirnov test between the per-sample truth
/// ratios of the model and those of the reference model (a model trained on the retain data only,
/// <see cref="MetricContext.Reference"/>) on the same split. High = indistinguishable from never having seen
/// the data. Aggregate only.
/// </summary>
[Metric("forget_quality", Needs = MetricNeeds.Oracle, LowerIsBetterOnForget = true)]
public sealed class ForgetQualityMetric(NoOptions options) : IMetric
{
    public NoOptions Options => options;

    /// <summary>On forget a high p-value means the model looks like the oracle, i.e. knows less; on retain, where the oracle
    /// knows as much as the target, closer to it is better.</summary>
    public bool LowerIsBetterOn(string split) => split == Specs.Vocabulary.SpecNames.Of(Specs.Vocabulary.SplitKind.Forget);
    public MetricResult Compute(MetricContext c)
    {
        var reference = c.Reference ?? throw new ArgumentException($"{MetricNeedsText.For("forget_quality", MetricNeeds.Oracle)} (split '{c.Split}' got none).");
        var inputs = c.Inputs;
        var model = TruthRatio.Ratios(c, inputs);
        var oracle = TruthRatio.Ratios(c, inputs, reference);
        return new MetricResult(Statistics.KsTwoSamplePValue(model, oracle), null);
    }
}

/// <summary>
/// Model utility (TOFU, aggregate_eval_stat.py get_model_utility): the harmonic mean of 9 numbers. On the split
/// (TOFU: retain_perturbed's rows): mean answer probability exp(-mean NLL), ROUGE-L recall of the greedy answer, and
/// truth ratio mean max(0, 1 - R). On each of TOFU's auxiliary sets real_authors and world_facts: the answer's
/// probability normalised over answer + perturbed answers, ROUGE-L recall, and truth ratio (true_better, with the
/// answer itself as the true answer, TOFU's base_answer_key). Aggregate only; zero when any part is zero. Needs both
/// auxiliary sets (TOFU data); synthetic data has no counterpart, so from YAML it is a build error there.
/// </summary>
[Metric("model_utility", Needs = MetricNeeds.AuxiliarySplits, Version = 2)] // 2: greedy answers from ES's prompt (Generations.PromptIds)
public sealed class ModelUtilityMetric(GenerationOptions options) : IMetric
{
    public GenerationOptions Options => options;

    public MetricResult Compute(MetricContext c) => new(Statistics.HarmonicMean(Parts(c).Select(p => p.Value).ToArray()), null);

    /// <summary>The 9 named parts of the harmonic mean, e.g. "retain/answer_prob", "world_facts/truth_ratio".</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Parts(MetricContext c)
    {
        var aux = c.AuxiliarySplits;
        if (aux is null || !MetricNeedsText.AuxiliarySplits.All(aux.ContainsKey))
            throw new ArgumentException($"{MetricNeedsText.For("model_utility", MetricNeeds.AuxiliarySplits)} (split '{c.Split}' got " +
                                        $"{(aux is null || aux.Count == 0 ? "none" : string.Join(", ", aux.Keys))}).");
        var parts = new List<KeyValuePair<string, double>>(RetainUtilityMetric.Parts(c, c.Inputs, Options.MaxNewTokens));
        foreach (var name in MetricNeedsText.AuxiliarySplits)
        {
            var on = c with { Split = name };
            var xs = c.Transform(aux[name]);
            parts.Add(new($"{name}/answer_prob_normalized", NormalizedAnswerProbabilityMetric.Values(on, xs).Average()));
            parts.Add(new($"{name}/rouge_l_recall", RetainUtilityMetric.RougeRecall(on, xs, Options.MaxNewTokens)));
            parts.Add(new($"{name}/truth_ratio", TruthRatio.Aggregate(TruthRatio.Ratios(on, xs), "true_better")));
        }
        return parts;
    }
}
