using DslUnlearn.Generators.Dsl;
using Microsoft.CodeAnalysis;

namespace DslUnlearn.Generators;

/// <summary>
/// The Roslyn descriptors of the spec diagnostics: one per <see cref="SpecDescriptor"/> (title, message format and
/// description come from that Roslyn-free catalog, so the CLI and the build agree; AnalyzerReleases.*.md lists them).
/// </summary>
internal static class DiagnosticDescriptors
{
    private static readonly Dictionary<string, DiagnosticDescriptor> ById = SpecDescriptors.All.ToDictionary(d => d.Id, Create);

    public static readonly DiagnosticDescriptor InternalError = ById[SpecDiagnosticIds.InternalError];

    public static DiagnosticDescriptor For(string id) => ById.TryGetValue(id, out var d) ? d : InternalError;

    public static DiagnosticDescriptor For(SpecDescriptor descriptor) => For(descriptor.Id);

    private static DiagnosticDescriptor Create(SpecDescriptor d)
        => new(d.Id, d.Title, d.MessageFormat, SpecDiagnosticIds.Category, DiagnosticSeverity.Error,
            isEnabledByDefault: true, description: d.Description);
}
