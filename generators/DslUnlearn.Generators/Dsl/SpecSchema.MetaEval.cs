namespace DslUnlearn.Generators.Dsl;

/// <summary>The <c>meta_eval:</c> section (runtime <c>DslUnlearn.Specs.MetaEvalSpec</c>): OpenUnlearning's faithfulness pools.</summary>
internal sealed partial class SpecSchema
{
    /// <summary>The section of <c>ExperimentSpec.MetaEval</c> (its key's help and aliases are the property's <c>[Option]</c>).</summary>
    private static SpecSection MetaEvalSection()
    {
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
            },
        };
        return metaEval;
    }
}
