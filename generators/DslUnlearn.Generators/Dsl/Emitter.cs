using System.Globalization;
using System.Text;

namespace DslUnlearn.Generators.Dsl;

/// <summary>Writes the C# of a compiled spec (one file per spec) and of the experiment catalog.</summary>
internal static class Emitter
{
    public const string Namespace = "DslUnlearn.Experiments";
    public const string CatalogHintName = "ExperimentCatalog.g.cs";

    private const string IExperiment = "global::DslUnlearn.Pipeline.IExperiment";
    private const string ExperimentSpec = "global::DslUnlearn.Specs.ExperimentSpec";
    private const string ImmutableArray = "global::System.Collections.Immutable.ImmutableArray";

    /// <summary>The source of <c>&lt;ClassName&gt;</c>, implementing IExperiment with every spec value set.</summary>
    public static string Emit(ExperimentModel model)
    {
        var w = GeneratedFile($"{model.SourceFile}. Edit the YAML file, not this one.");
        w.Line("/// <summary>");
        w.Line($"/// Experiment <c>{Xml(model.Name)}</c>, compiled from <c>{Xml(model.SourceFile)}</c>.");
        if (model.Description.Length > 0)
        {
            w.Line($"/// {Xml(OneLine(model.Description))}");
        }

        w.Line("/// </summary>");
        w.Line($"[global::System.CodeDom.Compiler.GeneratedCode(\"DslUnlearn.Generators\", \"{GeneratorVersion}\")]");
        w.Line($"public sealed partial class {model.ClassName} : {IExperiment}");
        w.OpenBrace();
        w.Line("/// <summary>The resolved spec: every value, defaults included.</summary>");
        w.Line($"public static {ExperimentSpec} Spec {{ get; }} = new()");
        WriteInitializer(w, model.Spec, ";");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Line($"public string Name => {Literal(model.Name)};");
        w.Line();
        w.Line($"{ExperimentSpec} {IExperiment}.Spec => Spec;");
        w.Line();
        PlanEmitter.Write(w, model);
        if (model.Cells.Count > 0)
        {
            ExperimentCellsEmitter.Write(w, model);
            return Finish(w);
        }

        w.Line("/// <inheritdoc />");
        w.Line("public global::DslUnlearn.Engine.ExperimentResult Run(global::DslUnlearn.Engine.RunOptions options)");
        w.Indent();
        w.Line("=> global::DslUnlearn.Pipeline.ExperimentRunner.Run(Spec, options);");
        w.Unindent();
        return Finish(w);
    }

    private static string Finish(SourceWriter w)
    {
        w.CloseBrace();
        w.CloseBrace();
        return w.ToString();
    }

    /// <summary>The source of <c>ExperimentCatalog</c>: all experiments sorted by name.</summary>
    public static string EmitCatalog(IEnumerable<ExperimentModel> models)
    {
        var sorted = models.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        var w = GeneratedFile("the YAML specs of this project.");
        w.Line("/// <summary>Every experiment compiled from this project's YAML specs, sorted by name.</summary>");
        w.Line($"[global::System.CodeDom.Compiler.GeneratedCode(\"DslUnlearn.Generators\", \"{GeneratorVersion}\")]");
        w.Line("public static class ExperimentCatalog");
        w.OpenBrace();
        w.Line("/// <summary>All experiments, sorted by name.</summary>");
        w.Line($"public static global::System.Collections.Generic.IReadOnlyList<{IExperiment}> All {{ get; }} =");
        w.Indent();
        if (sorted.Count == 0)
        {
            w.Line($"global::System.Array.Empty<{IExperiment}>();");
        }
        else
        {
            w.Line($"global::System.Array.AsReadOnly(new {IExperiment}[]");
            w.OpenBrace();
            foreach (var m in sorted)
            {
                w.Line($"new global::{Namespace}.{m.ClassName}(),");
            }

            w.CloseBrace(");");
        }

        w.Unindent();
        w.Line();
        w.Line("/// <summary>The experiment names, sorted.</summary>");
        w.Line("public static global::System.Collections.Generic.IReadOnlyList<string> Names { get; } =");
        w.Indent();
        w.Line(sorted.Count == 0
            ? "global::System.Array.Empty<string>();"
            : $"global::System.Array.AsReadOnly(new string[] {{ {string.Join(", ", sorted.Select(m => Literal(m.Name)))} }});");
        w.Unindent();
        w.Line();
        w.Line("/// <summary>The experiment with this name, or null.</summary>");
        w.Line($"public static {IExperiment}? Find(string name)");
        w.OpenBrace();
        w.Line("switch (name)");
        w.OpenBrace();
        for (var i = 0; i < sorted.Count; i++)
        {
            w.Line($"case {Literal(sorted[i].Name)}: return All[{i.ToString(CultureInfo.InvariantCulture)}];");
        }

        w.Line("default: return null;");
        w.CloseBrace();
        w.CloseBrace();
        w.CloseBrace();
        w.CloseBrace();
        return w.ToString();
    }

    internal static string GeneratorVersion => "1.0.0";

    /// <summary>A writer that has written the header of every generated file and opened <see cref="Namespace"/>; <paramref name="from"/> ends the "Generated by" line.</summary>
    internal static SourceWriter GeneratedFile(string from)
    {
        var w = new SourceWriter();
        w.Line("// <auto-generated/>");
        w.Line("// Generated by DslUnlearn.Generators from " + from);
        w.Line("#nullable enable");
        w.Line();
        w.Line($"namespace {Namespace}");
        w.OpenBrace();
        return w;
    }

    internal static void WriteInitializer(SourceWriter w, SpecObject obj, string suffix)
    {
        w.OpenBrace();
        foreach (var p in obj.Properties)
        {
            switch (p.Value)
            {
                case SpecObject nested:
                    w.Line($"{p.Name} = new {nested.Type}");
                    WriteInitializer(w, nested, ",");
                    break;
                case SpecList list when list.Items.Any(i => i is SpecObject):
                    w.Line($"{p.Name} = {ImmutableArray}.Create<{list.ElementType}>(");
                    w.Indent();
                    for (var i = 0; i < list.Items.Count; i++)
                    {
                        var item = (SpecObject)list.Items[i];
                        w.Line($"new {item.Type}");
                        WriteInitializer(w, item, i == list.Items.Count - 1 ? ")," : ",");
                    }

                    w.Unindent();
                    break;
                default:
                    w.Line($"{p.Name} = {Expression(p.Value)},");
                    break;
            }
        }

        w.CloseBrace(suffix);
    }

    /// <summary>A C# expression for a scalar value or a list of scalars.</summary>
    public static string Expression(SpecValue value) => value switch
    {
        SpecInt i => i.Value.ToString(CultureInfo.InvariantCulture),
        SpecNumber n => DoubleLiteral(n.Value),
        SpecString s => Literal(s.Value),
        SpecEnum e => $"{e.EnumType}.{e.Member}",
        SpecBool b => b.Value ? "true" : "false",
        SpecNull => "null",
        SpecNew n => $"new {n.Type}({string.Join(", ", n.Arguments.Select(Expression))})",
        SpecList l => $"{ImmutableArray}.Create<{l.ElementType}>({string.Join(", ", l.Items.Select(Expression))})",
        SpecObject o when o.Properties.Count == 0 => $"new {o.Type}()",
        SpecObject o => $"new {o.Type} {{ {string.Join(", ", o.Properties.Select(p => $"{p.Name} = {Expression(p.Value)}"))} }}",
        _ => throw new InvalidOperationException($"cannot emit {value.GetType().Name}"),
    };

    /// <summary>Round-trip invariant text that always compiles as a double: 0.003, 1E-05, 10000.0.</summary>
    public static string DoubleLiteral(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? text : text + ".0";
    }

    /// <summary>A regular C# string literal with every special character escaped.</summary>
    public static string Literal(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var ch in value)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (char.IsControl(ch) || char.IsSurrogate(ch) || ch == '\u2028' || ch == '\u2029' || ch == '\u0085')
                    {
                        sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(ch);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    private static string OneLine(string s) => string.Join(" ", s.Split(new[] { '\r', '\n', '\u0085', '\u2028', '\u2029' }, StringSplitOptions.RemoveEmptyEntries));

    private static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
