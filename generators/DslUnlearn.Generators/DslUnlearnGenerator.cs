using System;
using System.Collections.Immutable;
using System.Linq;
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

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var projectDirectory = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) =>
                options.GlobalOptions.TryGetValue(ProjectDirectoryOption, out var dir) ? dir : string.Empty)
            .WithTrackingName(TrackingNames.ProjectDirectory);

        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, ct) => new YamlFile(text.Path, text.GetText(ct)?.ToString()))
            .WithTrackingName(TrackingNames.YamlFiles);

        var specs = files
            .Combine(projectDirectory)
            .Select(static (pair, _) =>
                SpecCompiler.Compile(pair.Left.Path, pair.Left.Text, SpecCompiler.MakeRelative(pair.Right, pair.Left.Path)))
            .WithTrackingName(TrackingNames.Specs);

        var all = specs.Collect().WithTrackingName(TrackingNames.AllSpecs);

        context.RegisterSourceOutput(all, static (spc, results) => Execute(spc, results));
    }

    private static void Execute(SourceProductionContext context, ImmutableArray<SpecFileResult> results)
    {
        try
        {
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
        return Diagnostic.Create(DiagnosticDescriptors.For(d.Id), location, d.Message);
    }
}

/// <summary>The text of one YAML additional file (null when unreadable).</summary>
internal sealed record YamlFile(string Path, string? Text);

/// <summary>Names of the tracked pipeline steps (tests assert their caching).</summary>
internal static class TrackingNames
{
    public const string ProjectDirectory = nameof(ProjectDirectory);
    public const string YamlFiles = nameof(YamlFiles);
    public const string Specs = nameof(Specs);
    public const string AllSpecs = nameof(AllSpecs);
}
