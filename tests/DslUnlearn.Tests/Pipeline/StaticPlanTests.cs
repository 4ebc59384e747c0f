using System.Text.Json.Nodes;
using DslUnlearn.Experiments;

namespace DslUnlearn.Tests.Pipeline;

/// <summary>
/// The static plan the generator emits into every compiled experiment agrees with what `run --dry-run` builds, for
/// every spec in experiments/ and every cell: the same stages in the same order, kinds, inputs, and key options
/// (each build-time value equals the runtime's; every runtime key option is in the plan, as a value or as
/// <c>&lt;run time: ...&gt;</c>). docs/engine-and-artifacts.md, "The stage plan".
/// </summary>
public class StaticPlanTests
{
    public static TheoryData<string> Experiments() => [.. ExperimentCatalog.Names];

    [Theory]
    [MemberData(nameof(Experiments))]
    public void The_emitted_plan_agrees_with_the_dry_run(string name)
    {
        using var dir = new TempDir();
        var experiment = ExperimentCatalog.Find(name)!;
        Assert.Equal(experiment.Cells.Count, experiment.Plans.Count);
        var problems = new List<string>();
        for (int c = 0; c < experiment.Cells.Count; c++)
        {
            var spec = experiment.Cells[c];
            var plan = experiment.Plans[c];
            Assert.Equal(spec.Cell, plan.Cell);
            var options = new RunOptions { OutputRoot = dir.Path };
            var dryRun = StagedExperimentRunner.Plan(spec, options);
            var graph = StagedExperimentRunner.Graph(spec, options).Graph;
            Assert.Equal(dryRun.Select(s => (s.Id, s.Kind)), graph.Stages.Select(s => (s.Id, s.Kind)));
            Assert.Equal(dryRun.Select(s => (s.Id, s.Kind)), plan.Stages.Select(s => (s.Id, s.Kind)));
            foreach (var (planned, built) in plan.Stages.Zip(graph.Stages))
            {
                string where = $"{name}{(spec.Cell is null ? "" : $" cell {spec.Cell}")} {planned.Id}";
                if (!planned.Inputs.SequenceEqual(built.Inputs))
                    problems.Add($"{where}: inputs [{string.Join(", ", planned.Inputs)}] planned, [{string.Join(", ", built.Inputs)}] built");
                problems.AddRange(KeyProblems(plan.KeyOf(planned), built.Options).Select(p => $"{where}: {p}"));
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} disagreement(s) between the emitted plan and the dry run:\n" + string.Join("\n", problems.Take(30)));
    }

    [Fact]
    public void Key_comparison_catches_a_wrong_value_a_missing_option_and_an_unknown_one()
    {
        var built = JsonNode.Parse("""{"finetune":{"lr":0.003,"epochs":40},"device":"cpu","tokenizer":{"type":"Char","vocab_size":99}}""")!;
        string[] plan = ["finetune.lr = 0.003", "finetune.epochs = 40", "device = \"cpu\"", "tokenizer = <run time: the tokenizer>"];
        Assert.Empty(KeyProblems(plan, built));
        Assert.Equal(["finetune.lr: planned 0.001, built 0.003"], KeyProblems(["finetune.lr = 0.001", .. plan[1..]], built));
        Assert.Equal(["finetune.epochs = 40 is in the key but not in the plan"], KeyProblems([plan[0], .. plan[2..]], built));
        Assert.Equal(["seed_offset is planned but not in the key"], KeyProblems([.. plan, "seed_offset = <run time: an engine constant>"], built));
        Assert.Equal(["rows: planned \"retain\", not in the key"], KeyProblems([.. plan, "rows = \"retain\""], built));
        Assert.Empty(KeyProblems([.. plan, "metric_versions = <run time, when present: versions>"], built));
    }

    /// <summary>Differences between a stage's planned key lines and the options the runtime put into its key.</summary>
    private static List<string> KeyProblems(IReadOnlyList<string> planLines, JsonNode builtOptions)
    {
        var built = new Dictionary<string, JsonNode?>();
        Flatten(builtOptions, "", built);
        var known = new Dictionary<string, string>();
        var runTime = new List<(string Path, bool Optional)>();
        foreach (var line in planLines)
        {
            int eq = line.IndexOf(" = ", StringComparison.Ordinal);
            Assert.True(eq > 0, $"not a key line: {line}");
            string path = line[..eq], value = line[(eq + 3)..];
            if (value.StartsWith(StaticPlan.RunTime, StringComparison.Ordinal)) runTime.Add((path, value.StartsWith(StaticPlan.RunTime + ", when present", StringComparison.Ordinal)));
            else known[path] = value;
        }
        var problems = new List<string>();
        foreach (var (path, value) in known)
        {
            if (!built.TryGetValue(path, out var actual)) problems.Add($"{path}: planned {value}, not in the key");
            else if (!SameJson(JsonNode.Parse(value), actual)) problems.Add($"{path}: planned {value}, built {CanonicalJson.Serialize(actual)}");
        }
        foreach (var (path, value) in built)
            if (!known.ContainsKey(path) && !runTime.Any(r => Under(path, r.Path)))
                problems.Add($"{path} = {CanonicalJson.Serialize(value)} is in the key but not in the plan");
        foreach (var (path, optional) in runTime)
            if (!optional && !path.Contains('.') && !built.Keys.Any(k => Under(k, path)))
                problems.Add($"{path} is planned but not in the key");
        return problems;
    }

    private static bool Under(string path, string prefix)
        => path == prefix || path.StartsWith(prefix + ".", StringComparison.Ordinal) || path.StartsWith(prefix + "[", StringComparison.Ordinal);

    /// <summary>Leaves as the plan writes them: object members by '.', list items by [i]; a list of scalars (or an empty list or object) is one leaf.</summary>
    private static void Flatten(JsonNode? node, string path, Dictionary<string, JsonNode?> leaves)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (k, v) in o) Flatten(v, path.Length == 0 ? k : $"{path}.{k}", leaves);
                break;
            case JsonArray a when a.Count > 0 && a.Any(i => i is JsonObject or JsonArray):
                for (int i = 0; i < a.Count; i++) Flatten(a[i], $"{path}[{i}]", leaves);
                break;
            default:
                leaves[path] = node;
                break;
        }
    }

    /// <summary>Equal as JSON, numbers by value (the plan writes 1.0 where the key has 1).</summary>
    private static bool SameJson(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => SameJson(p.First, p.Second)),
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(p => y.ContainsKey(p.Key) && SameJson(p.Value, y[p.Key])),
        (JsonValue x, JsonValue y) when IsNumber(x) && IsNumber(y) => Number(x) == Number(y),
        (JsonValue x, JsonValue y) => CanonicalJson.Serialize(x) == CanonicalJson.Serialize(y),
        _ => false,
    };

    private static bool IsNumber(JsonValue v) => v.GetValueKind() == System.Text.Json.JsonValueKind.Number;

    private static double Number(JsonValue v) => double.Parse(CanonicalJson.Serialize(v), System.Globalization.CultureInfo.InvariantCulture);
}
