namespace DslUnlearn.Generators.Tests;

/// <summary>The 'meta_eval:' section: OpenUnlearning's faithfulness pools (docs/robustness.md, "Faithfulness").</summary>
public sealed class MetaEvalSectionTests
{
    private static GeneratorRun Run(string yaml) => GeneratorHarness.Run(("spec.yaml", yaml));

    [Fact]
    public void Faithfulness_seeds_bind_as_an_int_list_and_other_specs_get_null()
    {
        var run = Run("experiment: t\nmeta_eval:\n  faithfulness:\n    seeds: [3, 0, 7]\n");
        Assert.Empty(run.Positions);
        var source = run.Source("t.g.cs")!;
        Assert.Contains("MetaEval = new global::DslUnlearn.Specs.MetaEvalSpec", source);
        Assert.Contains("Faithfulness = new global::DslUnlearn.Specs.FaithfulnessSpec", source);
        Assert.Contains("Seeds = global::System.Collections.Immutable.ImmutableArray.Create<int>(3, 0, 7)", source);
        Assert.Contains("MetaEval = null", Run("experiment: t\n").Source("t.g.cs")!);
        Assert.Contains("Faithfulness = null", Run("experiment: t\nmeta_eval: {}\n").Source("t.g.cs")!);
    }

    [Fact]
    public void Bad_seeds_are_located_errors()
    {
        var missing = Run("experiment: t\nmeta_eval:\n  faithfulness: {}\n");
        Assert.Single(missing.Positions);
Assert.Contains(missing.Diagnostics, d => d.GetMessage().Contains("seeds"));

        var run = Run("experiment: t\nmeta_eval:\n  faithfulness:\n    seeds: [1, -2, 1, x]\n");
        var messages = run.Diagnostics.Select(d => d.GetMessage()).ToList();
        Assert.Equal(3, run.Positions.Count);
        Assert.Contains(run.Positions, p => p.EndsWith("@4,16", StringComparison.Ordinal));   // -2
        Assert.Contains(messages, m => m.Contains("must be >= 0, got -2"));
        Assert.Contains(run.Positions, p => p.EndsWith("@4,20", StringComparison.Ordinal));   // the second 1
        Assert.Contains(messages, m => m.Contains("'1' is listed twice"));
        Assert.Contains(run.Positions, p => p.EndsWith("@4,23", StringComparison.Ordinal));   // x

        var empty = Run("experiment: t\nmeta_eval:\n  faithfulness:\n    seeds: []\n");
        Assert.Contains(empty.Diagnostics, d => d.GetMessage().Contains("must not be empty"));

        var typo = Run("experiment: t\nmeta_eval:\n  faithfulnes:\n    seeds: [1]\n");
        Assert.Contains(typo.Diagnostics, d => d.GetMessage().Contains("faithfulness"));
    }
}
