using Microsoft.CodeAnalysis.CSharp;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// Option help comes from XML doc comments even when the compiler has none for a reference (a real build references
/// obj/.../ref/X.dll, with no X.xml beside it): the experiments project passes the documentation file as an additional
/// file. tests/DslUnlearn.Tests/Dsl/BuildHelpTests checks the same in the actual dotnet build.
/// </summary>
public sealed class ComponentHelpTests
{
    private static readonly string RuntimeXml = Path.ChangeExtension(typeof(DslUnlearn.Specs.ExperimentSpec).Assembly.Location, ".xml");

    /// <summary>Runs the generator against references without documentation providers, as in a build with ref assemblies.</summary>
    private static ComponentCatalog Components(bool passXml)
    {
        var references = GeneratorHarness.References
            .Select(r => r is PortableExecutableReference { FilePath: { } path } ? MetadataReference.CreateFromFile(path) : r)
            .ToArray();
        var compilation = CSharpCompilation.Create("DslUnlearn.Experiments.Tests", Array.Empty<SyntaxTree>(), references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var texts = new List<AdditionalText> { new InMemoryAdditionalText(GeneratorHarness.PathOf("s.yaml"), "experiment: s\n") };
        if (passXml)
        {
            texts.Add(new InMemoryAdditionalText("/build/bin/DslUnlearn.Runtime.xml", File.ReadAllText(RuntimeXml)));
            texts.Add(new InMemoryAdditionalText("/build/other.xml", "<not-a-doc-file/>")); // other XML files are ignored
        }

        var driver = GeneratorHarness.CreateDriver(texts).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        Assert.Empty(result.Diagnostics);
        var source = result.GeneratedSources.Single(s => s.HintName == ComponentHelpEmitter.HintName).SourceText.ToString();
        const string Open = "public const string Catalog = \"\"\"\"\n", Close = "\n\"\"\"\";";
        int start = source.IndexOf(Open, StringComparison.Ordinal) + Open.Length;
        return CatalogData.Read(source.Substring(start, source.IndexOf(Close, start, StringComparison.Ordinal) - start));
    }

    [Fact]
    public void Help_comes_from_the_documentation_file_passed_as_an_additional_file()
    {
        Assert.True(File.Exists(RuntimeXml), $"the runtime's documentation file is missing: {RuntimeXml}");
        var lr = Components(passXml: true).Find(ComponentKind.Method, "ga")!.Find("lr")!;
        Assert.Equal(("number", "Learning rate."), (lr.TypeText(markdown: false), lr.Help));
    }

    [Fact]
    public void Without_the_documentation_file_a_reference_assembly_gives_no_help()
        => Assert.Equal("", Components(passXml: false).Find(ComponentKind.Method, "ga")!.Find("lr")!.Help);

    [Fact]
    public void Doc_index_reads_members_and_ignores_other_xml()
    {
        var index = new XmlDocIndex(new[]
        {
            new XmlDocFile("/a.xml", "<doc><members><member name=\"P:A.B.C\"><summary>Hello <c>x</c>.</summary></member></members></doc>"),
            new XmlDocFile("/b.xml", "<project/>"),
            new XmlDocFile("/c.xml", "<doc><unclosed>"),
        }.ToEquatableArray());
        Assert.Equal("Hello x.", ComponentCatalog.SummaryOf(index.Find("P:A.B.C")));
        Assert.Null(index.Find("P:A.B.D"));
        Assert.Null(index.Find(null));
    }
}
