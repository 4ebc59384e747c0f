using DslUnlearn.Progress;

namespace DslUnlearn.Engine;

/// <summary>How to run a compiled experiment; the spec itself stays as the YAML resolved it.</summary>
public sealed record RunOptions
{
    /// <summary>Overrides the spec's report.out root folder (results go to &lt;root&gt;/&lt;experiment&gt;/).</summary>
    public string? OutputRoot { get; init; }
    public IProgressSink Progress { get; init; } = NullProgressSink.Instance;
    public CancellationToken Cancellation { get; init; }
    /// <summary>Training stages checkpoint model, optimizer and RNG state every this many optimizer steps (0: never).</summary>
    public int CheckpointEvery { get; init; } = 50;
}
