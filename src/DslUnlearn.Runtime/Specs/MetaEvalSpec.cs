using System.Collections.Immutable;

namespace DslUnlearn.Specs;

/// <summary>
/// The <c>meta_eval:</c> section: what the meta-evaluation of the metrics needs beyond the spec's own models
/// (docs/robustness.md, "Faithfulness"). Every value is set by the generated spec (defaults live in the DSL schema,
/// generators/.../SpecSchema.MetaEval.cs).
/// </summary>
public sealed record MetaEvalSpec
{
    /// <summary>OpenUnlearning's faithfulness pools, or null for none (then tables/meta_eval has robustness only).</summary>
    public FaithfulnessSpec? Faithfulness { get; init; }
}

/// <summary>
/// The model pools of OpenUnlearning's faithfulness score: per seed, a target (fine-tuned on forget and retain: holds the
/// forget knowledge, a positive) and an oracle (retain only: never saw it, a negative), each trained from scratch the way
/// this spec trains its own target and oracle with <c>seed:</c> set to that seed (same stage keys, so they are shared).
/// </summary>
public sealed record FaithfulnessSpec
{
    /// <summary>Training seeds of the pools: one target and one oracle each. The spec's own seed reuses its own models.</summary>
    public required ImmutableArray<int> Seeds { get; init; }
}
