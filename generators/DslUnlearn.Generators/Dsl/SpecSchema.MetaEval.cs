namespace DslUnlearn.Generators.Dsl;

/// <summary>The <c>meta_eval:</c> section (runtime <c>DslUnlearn.Specs.MetaEvalSpec</c>): OpenUnlearning's faithfulness pools.</summary>
internal sealed partial class SpecSchema
{
    /// <summary>The section of <c>ExperimentSpec.MetaEval</c> (its key's help and aliases are the property's <c>[Option]</c>).</summary>
    private static SpecSection MetaEvalSection(SpecComponents c)
    {
        // OpenUnlearning's model filter for R and Q (docs/robustness.md, "Which unlearned models enter R and Q").
        var utility = new SpecSection
        {
            DisplayName = "'meta_eval.utility'",
            CSharpType = Specs + "UtilityFilterSpec",
            Keys = new[]
            {
                new SpecKey { Name = "metric", Property = "Metric", Kind = SpecValueKind.String, Default = "model_utility", Help = "the utility metric (higher = better); the filter applies when the spec measures it on 'split'", Aliases = new[] { "name" } },
                new SpecKey { Name = "split", Property = "Split", Kind = SpecValueKind.Component, Components = c.Split, Default = "retain", Help = "the split the utility metric is read on" },
                new SpecKey { Name = "min_share", Property = "MinShare", Kind = SpecValueKind.Number, Range = SpecRange.Between(0, 1), Default = "0.8", Help = "R and Q average only over unlearned models whose utility is at least this share of the target's (OpenUnlearning: 0.8); 0 = off", Aliases = new[] { "share", "min_utility" } },
            },
        };
        // A pool size: overrides of model: (docs/robustness.md, "Pools over sizes"); ~ keeps the spec's value.
        var size = new SpecSection
        {
            DisplayName = "a 'meta_eval.faithfulness.sizes' item",
            CSharpType = Specs + "PoolSizeSpec",
            Keys = new[]
            {
                new SpecKey { Name = "hidden_size", Property = "HiddenSize", Kind = SpecValueKind.Integer, Range = SpecRange.AtLeast(8), Nullable = true, Default = "~", Help = "the pool models' model.hidden_size (~ = the spec's)", Aliases = new[] { "hidden", "d_model" } },
                new SpecKey { Name = "layers", Property = "Layers", Kind = SpecValueKind.Integer, Range = SpecRange.Between(1, 64), Nullable = true, Default = "~", Help = "the pool models' model.layers (~ = the spec's)", Aliases = new[] { "num_layers", "n_layers" } },
                new SpecKey { Name = "intermediate_size", Property = "IntermediateSize", Kind = SpecValueKind.Integer, Range = SpecRange.AtLeast(1), Nullable = true, Default = "~", Help = "the pool models' model.intermediate_size (~ = the spec's)", Aliases = new[] { "ffn_size", "mlp_size", "d_ff" } },
            },
        };
        var faithfulness = new SpecSection
        {
            DisplayName = "'meta_eval.faithfulness'",
            CSharpType = Specs + "FaithfulnessSpec",
            Keys = new[]
            {
                new SpecKey
                {
                    Name = "seeds", Property = "Seeds", Kind = SpecValueKind.List, Required = true, NonEmpty = true, Distinct = true,
                    Item = new SpecKey { Name = "seed", Kind = SpecValueKind.Integer, Range = SpecRange.AtLeast(0) },
                    Help = "training seeds of the pools: per seed one target (forget + retain, a positive) and one oracle (retain only, a negative), trained as this spec trains its own with that seed",
                    Aliases = new[] { "seed", "pool_seeds" },
                },
                new SpecKey
                {
                    Name = "sizes", Property = "Sizes", Kind = SpecValueKind.List, Section = size, Default = "[]",
                    Help = "model sizes besides the spec's (overrides of model:): per size and seed one more target and oracle, trained as the spec with that model: trains its own",
                    Aliases = new[] { "size", "models" },
                },
            },
        };
        var metaEval = new SpecSection
        {
            DisplayName = "'meta_eval'",
            CSharpType = Specs + "MetaEvalSpec",
            Keys = new[]
            {
                new SpecKey
                {
                    Name = "faithfulness", Property = "Faithfulness", Kind = SpecValueKind.Mapping, Section = faithfulness, Nullable = true, Default = "~",
                    Help = "OpenUnlearning's faithfulness: the AUC with which each metric (on forget) tells the target pool from the oracle pool", Aliases = new[] { "faithful", "pools" },
                },
                new SpecKey
                {
                    Name = "utility", Property = "Utility", Kind = SpecValueKind.Mapping, Section = utility, Default = "{}",
                    Help = "OpenUnlearning's utility filter: R and Q leave out unlearned models whose utility fell below a share of the target's", Aliases = new[] { "utility_filter" },
                },
                new SpecKey
                {
                    Name = "knowledge_filter", Property = "KnowledgeFilter", Kind = SpecValueKind.Boolean, Default = "true",
                    Help = "with faithfulness pools: R and Q of a metric on forget leave out unlearned models the metric still places on the targets' side of the pools' accuracy-best threshold (OpenUnlearning)",
                    Aliases = new[] { "threshold_filter" },
                },
            },
        };
        return metaEval;
    }
}
