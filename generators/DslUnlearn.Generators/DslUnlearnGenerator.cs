using System.Collections.Immutable;
using System.Text;
using DslUnlearn.Generators.Dsl;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DslUnlearn.Generators;

/// <summary>
/// Compiles every <c>*.yaml</c> additional file into a typed <c>IExperiment</c> plus one <c>ExperimentCatalog</c>.
/// Pipeline: YAML files -> per-file <see cref="SpecFileResult"/> (model + diagnostics as data, cached per file)
/// -> collected -> diagnostics reported, sources emitted.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class DslUnlearnGenerator : IIncrementalGenerator
{
    /// <summary>MSBuild property made visible with &lt;CompilerVisibleProperty Include="MSBuildProjectDirectory" /&gt;.</summary>
    public const string ProjectDirectoryOption = "build_property.MSBuildProjectDirectory";

    /// <summary>Semicolon-separated extra data roots (&lt;DslUnlearnDataRoots&gt;; relative ones are relative to the repository root).</summary>
    public const string DataRootsOption = "build_property.DslUnlearnDataRoots";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var settings = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => new GeneratorSettings(
                options.GlobalOptions.TryGetValue(ProjectDirectoryOption, out var dir) ? dir : string.Empty,
                options.GlobalOptions.TryGetValue(DataRootsOption, out var roots) ? roots : string.Empty))
            .WithTrackingName(TrackingNames.ProjectDirectory);

        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, ct) => new YamlFile(text.Path, text.GetText(ct)?.ToString()))
            .WithTrackingName(TrackingNames.YamlFiles);

        // Every file's text, for extends: (a spec's result depends on its bases; unchanged results stay Unchanged).
        var fileSet = files.Collect()
            .Select(static (all, _) => all.OrderBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(TrackingNames.YamlFileSet);

        // XML documentation files of referenced projects (AdditionalFiles *.xml, added by the experiments project):
        // the help text of component options when the compiler has no .xml beside a reference assembly.
        var docs = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, ct) => new XmlDocFile(text.Path, text.GetText(ct)?.ToString()))
            .Collect()
            .Select(static (all, _) => new XmlDocIndex(all.OrderBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray()))
            .WithTrackingName(TrackingNames.XmlDocs);

        // Components ([UnlearningMethod], [Metric], ...) from the referenced assemblies, as plain data.
        var catalog = context.CompilationProvider
            .Combine(docs)
            .Select(static (input, ct) => ComponentReader.Read(input.Left, input.Right, ct))
            .WithTrackingName(TrackingNames.Catalog);

        var specs = files
            .Combine(fileSet)
            .Combine(settings)
            .Combine(catalog)
            .Select(static (input, _) =>
            {
                var (((file, set), options), components) = input;
                var specContext = new SpecContext(options.ProjectDirectory, options.DataRoots.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries),
                    path => Lookup(set, path));
                return SpecCompiler.Compile(file.Path, file.Text, SpecCompiler.MakeRelative(options.ProjectDirectory, file.Path), specContext, components);
            })
            .WithTrackingName(TrackingNames.Specs);

        var all = specs.Collect().Combine(catalog).WithTrackingName(TrackingNames.AllSpecs);

        context.RegisterSourceOutput(all, static (spc, input) => Execute(spc, input.Left, input.Right));
    }

    private static string? Lookup(EquatableArray<YamlFile> files, string path)
    {
        foreach (var file in files)
        {
            if (string.Equals(PathText.Normalize(file.Path), path, StringComparison.Ordinal))
            {
                return file.Text;
            }
        }

        return null;
    }

    private static void Execute(SourceProductionContext context, ImmutableArray<SpecFileResult> results, ComponentCatalog catalog)
    {
        try
        {
            foreach (var problem in catalog.Problems)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.For(SpecDescriptors.InvalidComponent), Location.None, problem));
            }

            foreach (var result in results)
            {
                foreach (var diagnostic in result.Diagnostics)
                {
                    context.ReportDiagnostic(ToDiagnostic(diagnostic));
                }
            }

            var (duplicates, accepted) = SpecCompiler.CheckUniqueNames(results.Select(r => r.Model).OfType<ExperimentModel>());
            foreach (var diagnostic in duplicates)
            {
                context.ReportDiagnostic(ToDiagnostic(diagnostic));
            }

            foreach (var model in accepted)
            {
                context.AddSource(model.HintName, SourceText.From(Emitter.Emit(model), Encoding.UTF8));
            }

            context.AddSource(Emitter.CatalogHintName, SourceText.From(Emitter.EmitCatalog(accepted), Encoding.UTF8));
            context.AddSource(ComponentHelpEmitter.HintName, SourceText.From(ComponentHelpEmitter.Emit(catalog), Encoding.UTF8));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None,
                $"internal error in the DslUnlearn generator ({ex.GetType().Name}: {ex.Message}); please report it"));
        }
    }

    /// <summary>Turns a data diagnostic into a Roslyn one; YamlDotNet's 1-based marks become 0-based positions.</summary>
    internal static Diagnostic ToDiagnostic(SpecDiagnostic d)
    {
        var start = new LinePosition(Math.Max(0, d.StartLine - 1), Math.Max(0, d.StartColumn - 1));
        var end = new LinePosition(Math.Max(0, d.EndLine - 1), Math.Max(0, d.EndColumn - 1));
        if (end < start)
        {
            end = start;
        }

        var startOffset = Math.Max(0, d.StartOffset);
        var span = TextSpan.FromBounds(startOffset, Math.Max(startOffset, d.EndOffset));
        var location = Location.Create(d.FilePath, span, new LinePositionSpan(start, end));
        return Diagnostic.Create(DiagnosticDescriptors.For(d.Id), location, d.Arguments.Cast<object>().ToArray());
    }
}

/// <summary>The text of one YAML additional file (null when unreadable).</summary>
internal sealed record YamlFile(string Path, string? Text);

/// <summary>The MSBuild properties the generator reads.</summary>
internal sealed record GeneratorSettings(string ProjectDirectory, string DataRoots);

/// <summary>Names of the tracked pipeline steps (tests assert their caching).</summary>
internal static class TrackingNames
{
    public const string ProjectDirectory = nameof(ProjectDirectory);
    public const string YamlFiles = nameof(YamlFiles);
    public const string YamlFileSet = nameof(YamlFileSet);
    public const string XmlDocs = nameof(XmlDocs);
    public const string Catalog = nameof(Catalog);
    public const string Specs = nameof(Specs);
    public const string AllSpecs = nameof(AllSpecs);
}
