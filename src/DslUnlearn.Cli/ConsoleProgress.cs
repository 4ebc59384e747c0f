using System.Diagnostics;
using DslUnlearn.Progress;
using Spectre.Console;

namespace DslUnlearn.Cli;

/// <summary>
/// Plain progress lines for redirected output (CI logs, pipes): Spectre's live bars print nothing there.
/// One line when a stage starts, about every 10% of it, and when it ends with its wall time.
/// </summary>
internal sealed class PlainProgress(TextWriter output) : IProgressSink
{
    private readonly Dictionary<string, (Stopwatch Clock, int Total, int LastTenth)> _stages = new();

    public void StageStarted(string stage, int total)
    {
        _stages[stage] = (Stopwatch.StartNew(), total, 0);
        // Fine-tuning counts epochs (Finetuner reports one tick per epoch); unlearning and attacks count optimizer steps.
        string unit = stage.StartsWith("finetune", StringComparison.Ordinal) ? "epochs" : "steps";
        output.WriteLine($"[{stage}] started ({total} {unit})");
    }

    public void StageAdvanced(string stage, int done, string? detail = null)
    {
        if (!_stages.TryGetValue(stage, out var s) || s.Total <= 0) return;
        int tenth = done * 10 / s.Total;
        if (tenth <= s.LastTenth && done != s.Total) return;
        _stages[stage] = s with { LastTenth = tenth };
        output.WriteLine($"[{stage}] {done}/{s.Total} {detail}");
    }

    public void StageFinished(string stage, string? summary = null)
    {
        string time = _stages.TryGetValue(stage, out var s) ? $" in {s.Clock.Elapsed.TotalSeconds:F1} s" : "";
        output.WriteLine($"[{stage}] done{time}{(summary is null ? "" : ": " + summary)}");
    }

    public void Message(string text) => output.WriteLine(text);
}

/// <summary>Live progress bars on an interactive terminal.</summary>
internal sealed class LiveProgress(ProgressContext context) : IProgressSink
{
    private readonly Dictionary<string, (ProgressTask Task, Stopwatch Clock)> _tasks = new();

    public void StageStarted(string stage, int total)
        => _tasks[stage] = (context.AddTask(Markup.Escape(stage), maxValue: Math.Max(1, total)), Stopwatch.StartNew());

    public void StageAdvanced(string stage, int done, string? detail = null)
    {
        if (!_tasks.TryGetValue(stage, out var t)) return;
        t.Task.Value = done;
        if (detail is not null) t.Task.Description = Markup.Escape($"{stage} ({detail})");
    }

    public void StageFinished(string stage, string? summary = null)
    {
        if (!_tasks.TryGetValue(stage, out var t)) return;
        t.Task.Value = t.Task.MaxValue;
        t.Task.Description = Markup.Escape($"{stage}: {summary} [{t.Clock.Elapsed.TotalSeconds:F1} s]");
        t.Task.StopTask();
    }

    public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
}
