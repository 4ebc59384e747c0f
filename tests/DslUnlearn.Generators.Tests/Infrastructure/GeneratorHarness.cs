using System.Collections.Immutable;
using DslUnlearn.Generators;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DslUnlearn.Generators.Tests.Infrastructure;

/// <summary>An additional file held in memory.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Analyzer config options with only global (build_property.*) values.</summary>
internal sealed class TestOptionsProvider(IReadOnlyDictionary<string, string> global) : AnalyzerConfigOptionsProvider
{
    public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(global);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

    private sealed class Options(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(new Dictionary<string, string>());

        public override bool TryGetValue(string key, out string value)
        {
            if (values.TryGetValue(key, out var v))
            {
                value = v;
                return true;
            }

            value = string.Empty;
            return false;
        }
    }
}

/// <summary>Drives <see cref="DslUnlearnGenerator"/> through <see cref="CSharpGeneratorDriver"/> with step tracking on.</summary>
internal static class GeneratorHarness
{
    /// <summary>The project directory the in-memory specs live in.</summary>
    public const string ProjectDirectory = "/project/experiments";

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() => LoadReferences(false));
    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferencesWithTestComponents = new(() => LoadReferences(true));
    private static readonly Lazy<ComponentCatalog> LazyRuntimeCatalog = new(() => ComponentReader.Read(CreateCompilation(), CancellationToken.None));

    /// <summary>The framework and the runtime (its components), not this test assembly.</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>As <see cref="References"/>, plus this test assembly with its test-only components.</summary>
    public static ImmutableArray<MetadataReference> ReferencesWithTestComponents => LazyReferencesWithTestComponents.Value;

    /// <summary>The catalog the generator reads from the runtime assembly.</summary>
    public static ComponentCatalog RuntimeCatalog => LazyRuntimeCatalog.Value;

    /// <summary>The context of a spec in <see cref="ProjectDirectory"/> whose other files are <paramref name="files"/> (name -> text).</summary>
    public static SpecContext Context(params (string FileName, string Text)[] files)
        => new(ProjectDirectory, null, path => files.Where(f => PathOf(f.FileName) == path).Select(f => f.Text).FirstOrDefault());

    /// <summary>SpecCompiler.Compile with the runtime's components.</summary>
    public static SpecFileResult Compile(string path, string? text, string relativePath, SpecContext? context = null)
        => SpecCompiler.Compile(path, text, relativePath, context, RuntimeCatalog);

    public static string PathOf(string fileName) => ProjectDirectory + "/" + fileName;

    public static CSharpCompilation CreateCompilation(params string[] sources) => CreateCompilation(false, sources);

    public static CSharpCompilation CreateCompilation(bool withTestComponents, params string[] sources)
        => CSharpCompilation.Create(
            "DslUnlearn.Experiments.Tests",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            withTestComponents ? ReferencesWithTestComponents : References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> texts, string? projectDirectory = ProjectDirectory)
    {
        var global = new Dictionary<string, string>();
        if (projectDirectory is not null)
        {
            global[DslUnlearnGenerator.ProjectDirectoryOption] = projectDirectory;
        }

        return CSharpGeneratorDriver.Create(
            new[] { new DslUnlearnGenerator().AsSourceGenerator() },
            texts,
            ParseOptions,
            new TestOptionsProvider(global),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    /// <summary>Runs the generator on in-memory YAML files (file name -> text) in <see cref="ProjectDirectory"/>.</summary>
    public static GeneratorRun Run(params (string FileName, string Text)[] files)
        => Run(files.Select(f => (AdditionalText)new InMemoryAdditionalText(PathOf(f.FileName), f.Text)).ToArray());

    /// <summary>Runs one spec, asserts where its diagnostics stand (in order), and returns their messages in that order.</summary>
    public static string[] Messages(string yaml, params string[] positions)
    {
        var run = Run(("s.yaml", yaml));
        Assert.Equal(positions, run.Positions);
        return run.Diagnostics.Select(d => d.GetMessage()).ToArray();
    }

    /// <summary>The generator did not throw, and the generated code compiles without warnings.</summary>
    public static void AssertCompiles(GeneratorRun run)
    {
        Assert.Null(run.Single.Exception);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
    }

    public static GeneratorRun Run(AdditionalText[] texts, string? projectDirectory = ProjectDirectory, bool withTestComponents = false)
    {
        var compilation = CreateCompilation(withTestComponents);
        var driver = CreateDriver(texts, projectDirectory)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        var result = driver.GetRunResult();
        return new GeneratorRun(driver, result, output, driverDiagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences(bool withTestComponents)
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var tpa = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty;
        foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            byName.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }

        var runtime = typeof(DslUnlearn.Specs.ExperimentSpec).Assembly.Location;
        byName[Path.GetFileNameWithoutExtension(runtime)] = runtime;
        var torch = Path.Combine(AppContext.BaseDirectory, "TorchSharp.dll");
        if (File.Exists(torch))
        {
            byName["TorchSharp"] = torch;
        }

        var self = typeof(GeneratorHarness).Assembly.Location;
        if (withTestComponents)
        {
            byName[Path.GetFileNameWithoutExtension(self)] = self;
        }
        else
        {
            byName.Remove(Path.GetFileNameWithoutExtension(self));
        }

        return byName.Values.Select(Reference).ToImmutableArray();
    }

    /// <summary>A reference with its XML documentation when the .xml file sits beside it (as the compiler does in builds).</summary>
    private static MetadataReference Reference(string path)
    {
        var xml = Path.ChangeExtension(path, ".xml");
        return File.Exists(xml) && !path.Contains("/dotnet/shared/", StringComparison.Ordinal) && !path.Contains("/packs/", StringComparison.Ordinal)
            ? MetadataReference.CreateFromFile(path, documentation: new XmlDocs(xml))
            : MetadataReference.CreateFromFile(path);
    }
}

/// <summary>One generator run.</summary>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    Compilation Output,
    ImmutableArray<Diagnostic> DriverDiagnostics)
{
    public GeneratorRunResult Single => Result.Results.Single();

    public ImmutableArray<Diagnostic> Diagnostics => Single.Diagnostics;

    public string? Source(string hintName)
        => Single.GeneratedSources.FirstOrDefault(s => s.HintName == hintName).SourceText?.ToString();

    /// <summary>The spec files and the experiment catalog (the component help file, always emitted, is left out: ComponentHelpTests check it).</summary>
    public IReadOnlyList<string> HintNames => Single.GeneratedSources.Select(s => s.HintName).Where(h => h != ComponentHelpEmitter.HintName).ToList();

    /// <summary>"DSLU0003@12,5" (1-based, as dotnet build prints) for each diagnostic, in order.</summary>
    public IReadOnlyList<string> Positions => Diagnostics.Select(Format).ToList();

    public static string Format(Diagnostic d)
    {
        var start = d.Location.GetLineSpan().StartLinePosition;
        return $"{d.Id}@{start.Line + 1},{start.Character + 1}";
    }
}
