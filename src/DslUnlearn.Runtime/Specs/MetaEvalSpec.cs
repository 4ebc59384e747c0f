using System.Collections.Immutable;
using DslUnlearn.Components;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Specs;

/// <summary>
/// The <c>meta_eval:</c> section: what the meta-evaluation of the metrics needs beyond the spec's own models
/// (docs/robustness.md, "Faithfulness"). Every value is set by the generated spec; the keys, ranges and defaults are the
/// <c>[Option]</c>s below (docs/spec-keys.md).
/// </summary>
public sealed record MetaEvalSpec
{
    /// <summary>OpenUnlearning's faithfulness pools, or null for none (then tables/meta_eval has robustness only).</summary>
    [Option(Default = "~", Help = "OpenUnlearning's faithfulness: the AUC with which each metric (on forget) tells the target pool from the oracle pool", Aliases = ["faithful", "pools"])]
    public FaithfulnessSpec? Faithfulness { get; init; }

    /// <summary>OpenUnlearning's utility filter: R and Q average over the unlearned models that kept enough utility.</summary>
    [Option(Default = "{}", Help = "OpenUnlearning's utility filter: R and Q leave out unlearned models whose utility fell below a share of the target's", Aliases = ["utility_filter"])]
    public required UtilityFilterSpec Utility { get; init; }

    /// <summary>
    /// With faithfulness pools, OpenUnlearning's second filter: R and Q of a metric on forget leave out the unlearned models
    /// whose value before the attack lies above the pools' accuracy-best threshold (they still look like a target).
    /// </summary>
    [Option(Default = "true", Help = "with faithfulness pools: R and Q of a metric on forget leave out unlearned models the metric still places on the targets' side of the pools' accuracy-best threshold (OpenUnlearning)", Aliases = ["threshold_filter"])]
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
    [Option(Default = "model_utility", Help = "the utility metric (higher = better); the filter applies when the spec measures it on 'split'", Aliases = ["name"])]
    public required string Metric { get; init; }
    [Option(Names = "split", Default = "retain", Help = "the split the utility metric is read on")]
    public required SplitKind Split { get; init; }
    /// <summary>The least share of the target's utility a kept model has (0..1; 0 = off).</summary>
    [Option(Min = 0, Max = 1, Default = "0.8", Help = "R and Q average only over unlearned models whose utility is at least this share of the target's (OpenUnlearning: 0.8); 0 = off", Aliases = ["share", "min_utility"])]
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
    [Option(Min = 0, Required = true, NonEmpty = true, Distinct = true, Help = "training seeds of the pools: per seed one target (forget + retain, a positive) and one oracle (retain only, a negative), trained as this spec trains its own with that seed", Aliases = ["seed", "pool_seeds"])]
    public required ImmutableArray<int> Seeds { get; init; }

    /// <summary>Model sizes besides the spec's own (docs/robustness.md, "Pools over sizes"): each adds a target and an oracle per seed, trained as the spec with that <c>model:</c> override trains its own.</summary>
    [Option(Default = "[]", Help = "model sizes besides the spec's (overrides of model:): per size and seed one more target and oracle, trained as the spec with that model: trains its own", Aliases = ["size", "models"])]
    public ImmutableArray<PoolSizeSpec> Sizes { get; init; } = [];
}

/// <summary>A faithfulness pool size: overrides of the spec's <c>model:</c> (null = the spec's value).</summary>
public sealed record PoolSizeSpec
{
    [Option(Min = 8, Default = "~", Help = "the pool models' model.hidden_size (~ = the spec's)", Aliases = ["hidden", "d_model"])]
    public int? HiddenSize { get; init; }
    [Option(Min = 1, Max = 64, Default = "~", Help = "the pool models' model.layers (~ = the spec's)", Aliases = ["num_layers", "n_layers"])]
    public int? Layers { get; init; }
    [Option(Min = 1, Default = "~", Help = "the pool models' model.intermediate_size (~ = the spec's)", Aliases = ["ffn_size", "mlp_size", "d_ff"])]
    public int? IntermediateSize { get; init; }
}
