using Microsoft.CodeAnalysis.CSharp;

namespace DslUnlearn.Generators.Tests;

/// <summary>Components that break the attribute contract are DSLU0013, never silently skipped or half-used.</summary>
public sealed class ComponentContractTests
{
    private const string BadComponents = """
        using DslUnlearn.Components;
        using DslUnlearn.Metrics;
        namespace Bad
        {
            public record O;
            [Metric("twice")] public sealed class A(O o) : IMetric { public MetricResult Compute(MetricContext c) => null!; }
            [Metric("twice")] public sealed class B(O o) : IMetric { public MetricResult Compute(MetricContext c) => null!; }
            [Metric("no_interface")] public sealed class C(O o) { }
            [Metric("two_ctors")] public sealed class D : IMetric { public D(O o) { } public D() { } public MetricResult Compute(MetricContext c) => null!; }
        }
        """;

    [Fact]
    public void Broken_components_are_reported_once_per_problem()
    {
        var library = CSharpCompilation.Create("Bad.Components",
            new[] { CSharpSyntaxTree.ParseText(BadComponents, GeneratorHarness.ParseOptions) },
            GeneratorHarness.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(library.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));

        var compilation = GeneratorHarness.CreateCompilation().AddReferences(library.ToMetadataReference());
        var catalog = ComponentReader.Read(compilation, CancellationToken.None);
        Assert.Equal(
            new[]
            {
                "metric 'no_interface' (Bad.C) must implement DslUnlearn.Metrics.IMetric",
                "metric 'two_ctors' (Bad.D) must have exactly one public constructor taking its options record",
                "two metrics are named 'twice': global::Bad.A, global::Bad.B; 'twice' means global::Bad.A; rename the others in their attribute",
            },
            catalog.Problems);
        Assert.Equal("global::Bad.A", catalog.Find(ComponentKind.Metric, "twice")!.TypeName);

        var driver = GeneratorHarness.CreateDriver(Array.Empty<AdditionalText>()).RunGenerators(compilation);
        var diagnostics = driver.GetRunResult().Results.Single().Diagnostics;
        Assert.Equal(3, diagnostics.Count(d => d.Id == "DSLU0013"));
    }
}
