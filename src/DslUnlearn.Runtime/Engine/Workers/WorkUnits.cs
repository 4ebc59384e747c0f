using DslUnlearn.IO;
using DslUnlearn.Progress;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine.Workers;

/// <summary>
/// One unit of work of an experiment, what one Slurm array task runs: a whole experiment-level sweep cell, or, for a
/// single spec with several unlearn entries (an item-level sweep), one unlearn entry with its evaluation, attacks
/// and calibration (unit 0 also takes the shared stages no entry needs, such as the target's evaluation).
/// </summary>
/// <param name="Stages">The stage ids this unit builds, or null for a whole cell (built, reported and published).</param>
public sealed record WorkUnit(int Index, string Id, ExperimentSpec Cell, IReadOnlyList<string>? Stages)
{
    public string Describe() => Stages is null ? $"cell {Id}" : $"unlearn entry {Id} ({Stages.Count} stages)";
}

/// <summary>What `run --task I --of N` (or `--cell ID`) did: <c>&lt;out&gt;/&lt;experiment&gt;/tasks/task-&lt;I&gt;.json</c>.</summary>
public sealed record TaskRecord
{
    public required int Task { get; init; }
    public required int Of { get; init; }
    public required IReadOnlyList<string> Units { get; init; }
    public required WorkerIdentity Worker { get; init; }
    public required string StartedUtc { get; init; }
    public string? FinishedUtc { get; init; }
    /// <summary>"running", "ok" or "failed".</summary>
    public required string Status { get; init; }
    public string? Error { get; init; }
    /// <summary>Stages this task computed (executed or resumed), as "&lt;unit&gt;: &lt;stage id&gt;".</summary>
    public IReadOnlyList<string> Executed { get; init; } = [];
    public int Cached { get; init; }
    public double Seconds { get; init; }

    public static string PathOf(string experimentDir, int task) => Path.Combine(experimentDir, "tasks", $"task-{task}.json");

    public void Save(string experimentDir) => AtomicFile.Write(PathOf(experimentDir, Task), s => JsonSerializer.Serialize(s, this, StageJson.Options));

    public static TaskRecord? TryLoad(string path)
    {
        try { return JsonSerializer.Deserialize<TaskRecord>(File.ReadAllBytes(path), StageJson.Options); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }
}

public static class WorkUnits
{
    /// <summary>The units of an experiment, in a fixed order (the task index of a unit is its position).</summary>
    public static IReadOnlyList<WorkUnit> Of(IReadOnlyList<ExperimentSpec> cells, RunOptions options)
    {
        if (cells.Count > 1 || cells[0].Cell is not null)
            return cells.Select((c, i) => new WorkUnit(i, c.Cell ?? c.Name, c, null)).ToList();
        var spec = cells[0];
        if (spec.Unlearn.Length <= 1) return [new WorkUnit(0, spec.Name, spec, null)];
        var graph = StagedExperimentRunner.Graph(spec, options with { Progress = NullProgressSink.Instance }).Graph;
        return spec.Unlearn.Select((u, i) => new WorkUnit(i, u.Name, spec, StagesOfEntry(graph, u.Name, first: i == 0))).ToList();
    }

    /// <summary>The units task <paramref name="task"/> of <paramref name="of"/> runs: every unit whose index is task modulo of.</summary>
    public static IReadOnlyList<WorkUnit> ForTask(IReadOnlyList<WorkUnit> units, int task, int of)
    {
        if (of < 1) throw new ArgumentException($"--of must be at least 1 (got {of}).");
        if (task < 0 || task >= of) throw new ArgumentException($"--task must be in 0..{of - 1} for --of {of} (got {task}).");
        return units.Where(u => u.Index % of == task).ToList();
    }

    /// <summary>
    /// Stages of one unlearn entry: everything that reads unlearn/&lt;name&gt; (its evaluation, attacks, calibration) but
    /// the report, plus what those read; the first entry also takes the stages that no entry reads (target evaluation,
    /// target attacks), so the units together cover every stage but the report.
    /// </summary>
    internal static IReadOnlyList<string> StagesOfEntry(StageGraph graph, string entry, bool first)
    {
        var own = new HashSet<string> { $"unlearn/{entry}" };
        var anyEntry = new HashSet<string>(graph.Stages.Where(s => s.Kind == "unlearn").Select(s => s.Id));
        foreach (var s in graph.Stages)
        {
            if (s.Inputs.Any(own.Contains)) own.Add(s.Id);
            if (s.Inputs.Any(anyEntry.Contains)) anyEntry.Add(s.Id);
        }
        var wanted = new HashSet<string>(own.Where(id => !graph[id].IsReport));
        if (first) wanted.UnionWith(graph.Stages.Where(s => !s.IsReport && !anyEntry.Contains(s.Id)).Select(s => s.Id));
        // add every input, walking the graph backwards
        foreach (var s in graph.Stages.Reverse())
            if (wanted.Contains(s.Id)) wanted.UnionWith(s.Inputs);
        return graph.Stages.Where(s => wanted.Contains(s.Id)).Select(s => s.Id).ToList();
    }

    /// <summary>Runs the units of one task and writes its <see cref="TaskRecord"/> (also when a unit fails, then rethrows).</summary>
    public static TaskRecord RunTask(IReadOnlyList<WorkUnit> all, int task, int of, RunOptions options)
    {
        var mine = ForTask(all, task, of);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var spec0 = all[0].Cell;
        string experimentDir = Path.Combine(StagedExperimentRunner.OutputRoot(spec0, options), spec0.Name);
        var record = new TaskRecord
        {
            Task = task, Of = of, Units = mine.Select(u => u.Id).ToList(), Worker = WorkerIdentity.Current(),
            StartedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), Status = "running",
        };
        record.Save(experimentDir);
        var executed = new List<string>();
        int cached = 0;
        TaskRecord Finish(string status, string? error)
        {
            var done = record with
            {
                Status = status, Error = error, Executed = executed, Cached = cached, Seconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
                FinishedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            done.Save(experimentDir);
            return done;
        }
        try
        {
            foreach (var unit in mine)
            {
                options.Progress.Message($"Task {task}/{of}: {unit.Describe()}");
                var outcomes = RunUnit(unit, options);
                executed.AddRange(outcomes.Where(o => !o.IsCached).Select(o => $"{unit.Id}: {o.Id}"));
                cached += outcomes.Count(o => o.IsCached);
            }
        }
        catch (Exception e)
        {
            Finish("failed", $"{e.GetType().Name}: {e.Message}");
            throw;
        }
        return Finish("ok", null);
    }

    private static IReadOnlyList<StageOutcome> RunUnit(WorkUnit unit, RunOptions options)
    {
        if (unit.Stages is null) return StagedExperimentRunner.Run(unit.Cell, options).Stages;
        var prepared = StagedExperimentRunner.Graph(unit.Cell, options);
        var sub = new StageGraph(prepared.Graph.Seed);
        foreach (var id in unit.Stages) sub.Add(prepared.Graph[id]);
        var outcomes = new BuildEngine(prepared.Store, prepared.EngineOptions).Build(sub, options.Progress, options.Cancellation);
        foreach (var o in outcomes)
            options.Progress.Message($"  {o.Id,-22} {o.Status,-8} {o.Key[..12]}{(o.IsCached ? "" : $"  {o.Seconds:F1} s  ({o.Reason})")}");
        return outcomes;
    }
}
