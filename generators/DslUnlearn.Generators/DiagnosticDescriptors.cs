using System.Collections.Generic;
using System.Linq;
using DslUnlearn.Generators.Dsl;
using Microsoft.CodeAnalysis;

namespace DslUnlearn.Generators;

/// <summary>The Roslyn descriptors of the spec diagnostics (catalog: <see cref="SpecDiagnosticIds"/>, AnalyzerReleases.Shipped.md).</summary>
internal static class DiagnosticDescriptors
{
    public static readonly DiagnosticDescriptor SyntaxError = Create(SpecDiagnosticIds.SyntaxError);
    public static readonly DiagnosticDescriptor DuplicateKey = Create(SpecDiagnosticIds.DuplicateKey);
    public static readonly DiagnosticDescriptor UnknownKey = Create(SpecDiagnosticIds.UnknownKey);
    public static readonly DiagnosticDescriptor WrongType = Create(SpecDiagnosticIds.WrongType);
    public static readonly DiagnosticDescriptor OutOfRange = Create(SpecDiagnosticIds.OutOfRange);
    public static readonly DiagnosticDescriptor UnknownComponent = Create(SpecDiagnosticIds.UnknownComponent);
    public static readonly DiagnosticDescriptor MissingRequired = Create(SpecDiagnosticIds.MissingRequired);
    public static readonly DiagnosticDescriptor DuplicateExperiment = Create(SpecDiagnosticIds.DuplicateExperiment);
    public static readonly DiagnosticDescriptor NotSweepable = Create(SpecDiagnosticIds.NotSweepable);
    public static readonly DiagnosticDescriptor ExtendsProblem = Create(SpecDiagnosticIds.ExtendsProblem);
    public static readonly DiagnosticDescriptor PathOutsideRoots = Create(SpecDiagnosticIds.PathOutsideRoots);
    public static readonly DiagnosticDescriptor UnknownReference = Create(SpecDiagnosticIds.UnknownReference);
    public static readonly DiagnosticDescriptor InvalidComponent = Create(SpecDiagnosticIds.InvalidComponent);
    public static readonly DiagnosticDescriptor MetricInputMissing = Create(SpecDiagnosticIds.MetricInputMissing);
    public static readonly DiagnosticDescriptor InternalError = Create(SpecDiagnosticIds.InternalError);

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = new[]
    {
        SyntaxError, DuplicateKey, UnknownKey, WrongType, OutOfRange, UnknownComponent, MissingRequired, DuplicateExperiment,
        NotSweepable, ExtendsProblem, PathOutsideRoots, UnknownReference, InvalidComponent, MetricInputMissing, InternalError,
    }.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor For(string id) => ById.TryGetValue(id, out var d) ? d : InternalError;

    /// <summary>Title and description come from the Roslyn-free catalog, so the CLI and the build agree.</summary>
    private static DiagnosticDescriptor Create(string id)
    {
        var info = SpecDiagnosticIds.All.Single(i => i.Id == id);
        return new DiagnosticDescriptor(id, info.Title, "{0}", SpecDiagnosticIds.Category, DiagnosticSeverity.Error,
            isEnabledByDefault: true, description: info.Description);
    }
}
