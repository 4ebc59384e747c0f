namespace DslUnlearn.Engine;

/// <summary>
/// One stage of the static plan that the source generator emits into every compiled experiment (its <c>Plans</c>):
/// the stage's id, kind and inputs (from <see cref="StageShape"/>, the same definition the runtime builds its graph
/// from) and the options that enter its key, one line each: <c>finetune.lr = 0.003</c> (a value known at build
/// time, as canonical JSON), <c>tokenizer = &lt;run time: ...&gt;</c> (known only to the run), <c>data = @data</c>
/// (a group the plan lists once). <paramref name="StaticKey"/> hashes the build-time part of the key and the inputs'
/// static keys: it moves exactly when a YAML change re-runs the stage. docs/engine-and-artifacts.md, "The stage plan".
/// </summary>
public sealed record PlannedStage(string Id, string Kind, string StaticKey, string[] Inputs, params string[] Key);

/// <summary>A set of key lines several stages share (e.g. <c>@data</c>); a stage's <c>data = @data</c> stands for each line under <c>data.</c>.</summary>
public sealed record PlanGroup(string Name, params string[] Lines);

/// <summary>The static plan of one spec, or of one experiment-level sweep cell (<paramref name="Cell"/>).</summary>
public sealed record StaticPlan(string? Cell, PlanGroup[] Groups, PlannedStage[] Stages)
{
    /// <summary>The marker of a key option that only the run knows.</summary>
    public const string RunTime = "<run time";

    /// <summary>The key lines of <paramref name="stage"/> with group references expanded (<c>data = @data</c> becomes <c>data.x = ...</c> lines).</summary>
    public IReadOnlyList<string> KeyOf(PlannedStage stage)
    {
        var lines = new List<string>();
        foreach (var line in stage.Key)
        {
            int eq = line.IndexOf(" = @", StringComparison.Ordinal);
            if (eq < 0)
            {
                lines.Add(line);
                continue;
            }
            string part = line[..eq], name = line[(eq + 3)..];
            var group = Groups.FirstOrDefault(g => g.Name == name) ?? throw new InvalidOperationException($"Stage '{stage.Id}' refers to group {name}, which the plan lacks.");
            lines.AddRange(group.Lines.Select(l => l.StartsWith(" = ", StringComparison.Ordinal) || l.StartsWith('[') ? part + l : part + "." + l));
        }
        return lines;
    }
}
