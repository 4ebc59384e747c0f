using Microsoft.CodeAnalysis.CSharp;

namespace DslUnlearn.Generators.Tests;

/// <summary>Facts a component declares on its attribute (LowerIsBetter, PreservesKnowledge) reach the catalog and the binder.</summary>
public sealed class ComponentFactsTests
{
    [Fact]
    public void The_runtime_catalog_reads_the_facts_from_the_attributes()
    {
        var catalog = GeneratorHarness.RuntimeCatalog;
        Assert.Equal(new[] { "nll", "perplexity" }, catalog.OfKind(ComponentKind.Metric).Where(m => m.LowerIsBetter).Select(m => m.Name));
        Assert.Equal(new[] { "jailbreak", "probe", "token_noise" }, catalog.OfKind(ComponentKind.Attack).Where(a => a.PreservesKnowledge).Select(a => a.Name));

        // The catalog data the build carries (what validate and components read) keeps them.
        var read = CatalogData.Read(CatalogData.Write(catalog));
        Assert.Equal(
            catalog.Components.Select(c => (c.Kind, c.Name, c.LowerIsBetter, c.PreservesKnowledge)),
            read.Components.Select(c => (c.Kind, c.Name, c.LowerIsBetter, c.PreservesKnowledge)));
    }

    [Fact]
    public void A_lower_is_better_metric_from_another_assembly_is_refused_as_criterion_by_its_attribute_alone()
    {
        const string source = """
            using DslUnlearn.Components;
            using DslUnlearn.Metrics;
            namespace Extra;
            public record LossOptions;
            /// <summary>A loss that exists only in this test.</summary>
            [Metric("extra_loss", LowerIsBetter = true)]
            public sealed class ExtraLoss(LossOptions options) : IMetric
            {
                public LossOptions Options => options;
                public MetricResult Compute(MetricContext context) => throw new System.NotSupportedException();
            }
            """;
        var references = GeneratorHarness.References;
        var extra = CSharpCompilation.Create("Extra", [CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var emitted = extra.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var compilation = GeneratorHarness.CreateCompilation().AddReferences(MetadataReference.CreateFromImage(image.ToArray()));
        var catalog = ComponentReader.Read(compilation, CancellationToken.None);
        Assert.True(catalog.Find(ComponentKind.Metric, "extra_loss")!.LowerIsBetter);

        var refused = SpecCompiler.Compile(GeneratorHarness.PathOf("s.yaml"), "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: extra_loss\n", "s.yaml",
            GeneratorHarness.Context(), catalog);
        var diagnostic = Assert.Single(refused.Diagnostics);
        Assert.Equal(("DSLU0022", 4), (diagnostic.Id, diagnostic.StartLine));
        Assert.StartsWith("'extra_loss' cannot be the calibration criterion: lower is better for it", diagnostic.Message);

        // As a forget metric it is fine.
        var allowed = SpecCompiler.Compile(GeneratorHarness.PathOf("s.yaml"), "experiment: s\ncalibration:\n  calibrator: model_mixing\n  forget_metrics: [extra_loss]\n", "s.yaml",
            GeneratorHarness.Context(), catalog);
        Assert.Empty(allowed.Diagnostics);
    }
}
