using System.Globalization;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The members of a pipeline class whose spec has experiment-level sweeps: <c>Cells</c> (every cell, the first being
/// <c>Spec</c>; the others written as <c>Spec with { ... }</c> showing only what differs) and a <c>Run</c> that runs
/// every cell and aggregates them.
/// </summary>
internal static class ExperimentCellsEmitter
{
    private const string ExperimentSpec = "global::DslUnlearn.Specs.ExperimentSpec";

    public static void Write(SourceWriter w, ExperimentModel model)
    {
        var count = model.Cells.Count.ToString(CultureInfo.InvariantCulture);
        w.Line($"/// <summary>The {count} experiment-level sweep cells, in order (the first is <see cref=\"Spec\"/>); each spec's <c>Cell</c> is its id.</summary>");
        w.Line($"public static global::System.Collections.Immutable.ImmutableArray<{ExperimentSpec}> Cells {{ get; }} = global::System.Collections.Immutable.ImmutableArray.Create<{ExperimentSpec}>(");
        w.Indent();
        for (var i = 0; i < model.Cells.Count; i++)
        {
            var expression = i == 0 ? "Spec" : With("Spec", model.Spec, model.Cells[i].Spec);
            w.Line(expression + (i == model.Cells.Count - 1 ? ");" : ","));
        }

        w.Unindent();
        w.Line();
        w.Line($"global::System.Collections.Generic.IReadOnlyList<{ExperimentSpec}> global::DslUnlearn.Pipeline.IExperiment.Cells => Cells;");
        w.Line();
        w.Line("/// <summary>Runs every cell (each into &lt;out&gt;/&lt;experiment&gt;/cells/&lt;cell&gt;/) and writes the aggregate report to &lt;out&gt;/&lt;experiment&gt;/.</summary>");
        w.Line("public global::DslUnlearn.Engine.ExperimentResult Run(global::DslUnlearn.Engine.RunOptions options)");
        w.Indent();
        w.Line("=> global::DslUnlearn.Pipeline.ExperimentCells.Run(Cells, options).Result;");
        w.Unindent();
    }

    /// <summary><c>baseExpr with { Seed = 2, Finetune = baseExpr.Finetune with { Lr = 0.003 }, Cell = "..." }</c>.</summary>
    private static string With(string baseExpr, SpecObject baseObj, SpecObject cell)
    {
        var changes = new List<string>();
        foreach (var p in cell.Properties)
        {
            var before = baseObj.Get(p.Name);
            if (Equals(before, p.Value))
            {
                continue;
            }

            changes.Add(before is SpecObject b && p.Value is SpecObject c && b.Type == c.Type
                ? $"{p.Name} = {With(baseExpr + "." + p.Name, b, c)}"
                : $"{p.Name} = {Emitter.Expression(p.Value)}");
        }

        return changes.Count == 0 ? baseExpr : $"{baseExpr} with {{ {string.Join(", ", changes)} }}";
    }
}
