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

    /// <summary>OpenUnlearning's utility filter: R and Q average over the unlearned models that kept enough utility.</summary>
    public required UtilityFilterSpec Utility { get; init; }

    /// <summary>
    /// With faithfulness pools, OpenUnlearning's second filter: R and Q of a metric on forget leave out the unlearned models
    /// whose value before the attack lies above the pools' accuracy-best threshold (they still look like a target).
    /// </summary>
    public required bool KnowledgeFilter { get; init; }
}

/// <summary>
/// OpenUnlearning's utility filter for the robustness scores: an unlearned model enters R and Q only when its
/// <see cref="Metric"/> on <see cref="Split"/> is at least <see cref="MinShare"/> times the target's. Not applied (and the
/// table says so) when the spec does not measure that metric on that split.
/// </summary>
public sealed record UtilityFilterSpec
{
    /// <summary>The utility metric's YAML name (higher = better), e.g. model_utility.</summary>
    public required string Metric { get; init; }
    public required SplitKind Split { get; init; }
    /// <summary>The least share of the target's utility a kept model has (0..1; 0 = off).</summary>
    public required double MinShare { get; init; }
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

    /// <summary>Model sizes besides the spec's own (docs/robustness.md, "Pools over sizes"): each adds a target and an oracle per seed, trained as the spec with that <c>model:</c> override trains its own.</summary>
    public ImmutableArray<PoolSizeSpec> Sizes { get; init; } = [];
}

/// <summary>A faithfulness pool size: overrides of the spec's <c>model:</c> (null = the spec's value).</summary>
public sealed record PoolSizeSpec
{
    public int? HiddenSize { get; init; }
    public int? Layers { get; init; }
    public int? IntermediateSize { get; init; }
}
