namespace DslUnlearn.Engine;

// StageKinds and StageIds live in Engine/StageShape.cs, shared with the source generator.

/// <summary>What a run did with a stage (<see cref="StageOutcome.Status"/>, manifest.json's <c>status</c>).</summary>
public static class StageStatus
{
    /// <summary>The verified artifact was in the store; nothing ran.</summary>
    public const string Cached = "cached";
    /// <summary>The stage ran from its start.</summary>
    public const string Executed = "executed";
    /// <summary>The stage ran from a training checkpoint of an interrupted run.</summary>
    public const string Resumed = "resumed";
}
