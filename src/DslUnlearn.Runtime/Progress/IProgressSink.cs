namespace DslUnlearn.Progress;

/// <summary>Receives stage progress; the CLI renders it, tests ignore it. Keeps the runtime UI-free.</summary>
public interface IProgressSink
{
    /// <summary>A stage starts; <paramref name="total"/> is its number of steps (0 when unknown).</summary>
    void StageStarted(string stage, int total);
    void StageAdvanced(string stage, int done, string? detail = null);
    void StageFinished(string stage, string? summary = null);
    void Message(string text);
}

public sealed class NullProgressSink : IProgressSink
{
    public static readonly NullProgressSink Instance = new();
    public void StageStarted(string stage, int total) { }
    public void StageAdvanced(string stage, int done, string? detail = null) { }
    public void StageFinished(string stage, string? summary = null) { }
    public void Message(string text) { }
}
