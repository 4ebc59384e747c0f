namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The generator's side of the runtime's <c>[Metric(Needs = MetricNeeds...)]</c>: the flag values, and the wording of
/// a missing input, which must equal the runtime's <c>DslUnlearn.Components.MetricNeedsText</c> (a test compares
/// them; the generator cannot reference the runtime).
/// </summary>
internal static class MetricNeedsText
{
    /// <summary>The named argument of MetricAttribute that holds the flags.</summary>
    public const string Property = "Needs";

    public const int Oracle = 1;
    public const int Holdout = 2;
    public const int AuxiliarySplits = 4;

    public static readonly IReadOnlyList<int> All = new[] { Oracle, Holdout, AuxiliarySplits };

    public static string For(string metric, int need) => need switch
    {
        Oracle => $"metric '{metric}' needs the oracle (a model fine-tuned on the retain split only) as its reference model: set 'finetune.oracle: true'",
        Holdout => $"metric '{metric}' needs a holdout (non-members, never trained on): set 'data.holdout_authors: N' (synthetic: N extra generated authors; " +
                   "TOFU: the last N retain authors, taken out of every fine-tuning) or 'data.holdout: <file>' (non-member QA pairs, for a supplied model.checkpoint)",
        AuxiliarySplits => $"metric '{metric}' needs TOFU's auxiliary splits real_authors and world_facts: set 'data.source: tofu' with a data.path folder " +
                           "that holds real_authors_perturbed.json and world_facts_perturbed.json, or 'data.source: biographies' with 'testbed.auxiliary_splits: true' (the testbed's own)",
        _ => throw new ArgumentOutOfRangeException(nameof(need), need, "one need at a time"),
    };
}
