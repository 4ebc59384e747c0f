using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DslUnlearn.Tests.Architecture;

/// <summary>
/// Finds, with a Roslyn semantic model, every place where C# code hands TorchSharp a Scalar that nothing holds: a
/// user-defined implicit conversion to TorchSharp.Scalar (a number passed where a Scalar is taken), a ToScalar() whose
/// result is not kept in a field or a <c>using</c> local, and a call of a TorchSharp member that makes such a Scalar
/// inside (<see cref="HiddenScalarMembers"/>). Such a Scalar is unreachable while the native call reads it, so the
/// finalizer may free it mid-call ("Unknown scalar type", exit 134; docs/torchsharp-on-debian.md).
/// </summary>
internal static class ScalarSites
{
    public sealed record Site(string File, int Line, string Member, string Kind, string Code)
    {
        public override string ToString() => $"{File}:{Line} in {Member}: {Kind}: {Code}";
    }

    /// <summary>The SDK's implicit global usings (ImplicitUsings=enable in Directory.Build.props).</summary>
    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Compiles sources against the running process's trusted platform assemblies (the framework, TorchSharp
    /// and the runtime's other packages travel with the test), minus the project's own assemblies, which the sources
    /// would otherwise duplicate.</summary>
    public static CSharpCompilation Compile(IEnumerable<(string Path, string Text)> sources)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, s.Path))
            .Append(CSharpSyntaxTree.ParseText(GlobalUsings, parse, "GlobalUsings.g.cs"));
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => !Path.GetFileName(p).StartsWith("DslUnlearn.", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create("ScalarScan", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
                allowUnsafe: true));
    }

    public static IReadOnlyList<Site> Find(CSharpCompilation compilation) => Find(compilation, out _);

    /// <param name="torchCalls">How many calls, operators and conversions bound to a TorchSharp member: a scan that
    /// binds nothing finds nothing, and this tells the caller.</param>
    public static IReadOnlyList<Site> Find(CSharpCompilation compilation, out int torchCalls)
    {
        torchCalls = 0;
        var scalar = compilation.GetTypeByMetadataName("TorchSharp.Scalar")
            ?? throw new InvalidOperationException("TorchSharp.Scalar is not among the references: the scan would see nothing");
        var sites = new Dictionary<(string, int, string), Site>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes().Where(IsBodyRoot))
            {
                if (model.GetOperation(node) is not { } root) continue;
                foreach (var op in root.DescendantsAndSelf())
                {
                    if (Bound(op)?.ContainingAssembly?.Name == "TorchSharp") torchCalls++;
                    if (Classify(op, scalar) is { } kind)
                    {
                        var line = op.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                        var key = (tree.FilePath, op.Syntax.SpanStart, kind);
                        sites.TryAdd(key, new Site(tree.FilePath, line, MemberName(model, op.Syntax), kind, Snippet(op.Syntax)));
                    }
                }
            }
        }
        return sites.Values.OrderBy(s => s.File, StringComparer.Ordinal).ThenBy(s => s.Line).ToList();
    }

    /// <summary>The declarations whose operation trees cover all executable code: bodies, initializers, arrows.</summary>
    private static bool IsBodyRoot(SyntaxNode n) => n switch
    {
        BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or PrimaryConstructorBaseTypeSyntax => true,
        ArrowExpressionClauseSyntax a => a.Parent is BasePropertyDeclarationSyntax,
        EqualsValueClauseSyntax e => e.Parent is PropertyDeclarationSyntax || e.Parent?.Parent?.Parent is BaseFieldDeclarationSyntax,
        _ => false,
    };

    private static IMethodSymbol? Bound(IOperation op) => op switch
    {
        IInvocationOperation i => i.TargetMethod,
        IBinaryOperation b => b.OperatorMethod,
        IConversionOperation c => c.OperatorMethod,
        _ => null,
    };

    private static string? Classify(IOperation op, INamedTypeSymbol scalar)
    {
        switch (op)
        {
            case IConversionOperation { Conversion.IsUserDefined: true } c
                when SymbolEqualityComparer.Default.Equals(c.Type, scalar) && !SymbolEqualityComparer.Default.Equals(c.Operand.Type, scalar):
                return IsHeld(c) ? null : $"{c.Operand.Type?.ToDisplayString() ?? "value"} converted to a temporary Scalar";
            case IConversionOperation { OperatorMethod: { } m }:
                return Hidden(m);
            case IBinaryOperation { OperatorMethod: { } m }:
                return Hidden(m);
            case ICompoundAssignmentOperation { OperatorMethod: { } m }:
                return Hidden(m);
            case IUnaryOperation { OperatorMethod: { } m }:
                return Hidden(m);
            case IMethodReferenceOperation r:
                return Hidden(r.Method);
            case IInvocationOperation i when i.TargetMethod.Name == "ToScalar" && i.TargetMethod.ContainingType.Name == "ScalarExtensionMethods":
                return IsHeld(i) ? null : "ToScalar() not held in a field or a using local";
            case IInvocationOperation i:
                return Hidden(i.TargetMethod);
        }
        return null;
    }

    private static string? Hidden(IMethodSymbol m) =>
        HiddenScalarMembers.Why.TryGetValue(Key(m), out var why) ? $"{Key(m)}: {why}" : null;

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .RemoveMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>"Type.Member(parameter types)", the type without "TorchSharp." and reference types without "?";
    /// conversions add "->result".</summary>
    public static string Key(IMethodSymbol method)
    {
        var m = (method.ReducedFrom ?? method).OriginalDefinition;
        var type = m.ContainingType.ToDisplayString();
        if (type.StartsWith("TorchSharp.", StringComparison.Ordinal)) type = type["TorchSharp.".Length..];
        var parameters = string.Join(", ", m.Parameters.Select(p => p.Type.ToDisplayString(TypeFormat)));
        var key = $"{type}.{m.Name}({parameters})";
        return m.MethodKind == MethodKind.Conversion ? key + "->" + m.ReturnType.ToDisplayString(TypeFormat) : key;
    }

    /// <summary>A Scalar is held when its value goes straight into a field or property (an initializer, an assignment,
    /// an array or collection stored there) or into a <c>using</c> local, whose Dispose keeps it reachable.</summary>
    private static bool IsHeld(IOperation value)
    {
        var p = value.Parent;
        while (p is IConversionOperation or IParenthesizedOperation or IArrayInitializerOperation or IArrayCreationOperation
               or ICollectionExpressionOperation or IConditionalOperation or ICoalesceOperation)
            p = p.Parent;
        switch (p)
        {
            case IFieldInitializerOperation or IPropertyInitializerOperation:
                return true;
            case ISimpleAssignmentOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation }:
                return true;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Parent: IVariableDeclarationOperation decl } }:
                return decl.Parent is IUsingOperation
                    || decl.Parent is IVariableDeclarationGroupOperation { Parent: IUsingDeclarationOperation };
        }
        return false;
    }

    private static string MemberName(SemanticModel model, SyntaxNode node)
    {
        var s = model.GetEnclosingSymbol(node.SpanStart);
        while (s is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
            s = s.ContainingSymbol;
        if (s is null) return "?";
        var name = s is IMethodSymbol { AssociatedSymbol: { } owner } ? owner.Name : s.Name;
        return s.ContainingType is { } t ? $"{TypeName(t)}.{name}" : name;
    }

    private static string TypeName(INamedTypeSymbol t) => t.ContainingType is { } outer ? $"{TypeName(outer)}.{t.Name}" : t.Name;

    private static string Snippet(SyntaxNode node)
    {
        var text = string.Join(" ", node.ToString().Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return text.Length <= 90 ? text : text[..87] + "...";
    }

    public static ImmutableArray<Diagnostic> Errors(CSharpCompilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
}
