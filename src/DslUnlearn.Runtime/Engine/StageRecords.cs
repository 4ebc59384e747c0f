using DslUnlearn.IO;

namespace DslUnlearn.Engine;

/// <summary>
/// Who built a stored artifact, when and how long it took: <c>_built.json</c> beside <c>_index.json</c> in the
/// object folder. It is not in the index (an artifact's content, and so its verification, does not depend on which
/// host built it); `status` and the scale-out docs read it.
/// </summary>
public sealed record StageProvenance
{
    public const string FileName = "_built.json";
    public required string Stage { get; init; }
    public required WorkerIdentity BuiltBy { get; init; }
    public required string FinishedUtc { get; init; }
    public double Seconds { get; init; }
    /// <summary>Process CPU time (user + system, all threads) spent in the stage: with the wall time it tells how much of a
    /// stage's time a loaded machine took away (wall / CPU), and what the stage costs on an idle one.</summary>
    public double? CpuSeconds { get; init; }
    public int? ResumedFromStep { get; init; }

    internal static void WriteInto(string artifactDirectory, string stage, double seconds, int? resumedFrom, double? cpuSeconds = null)
    {
        var record = new StageProvenance
        {
            Stage = stage, BuiltBy = WorkerIdentity.Current(), FinishedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            Seconds = Math.Round(seconds, 3), CpuSeconds = cpuSeconds is { } c ? Math.Round(c, 3) : null, ResumedFromStep = resumedFrom,
        };
        File.WriteAllBytes(Path.Combine(artifactDirectory, FileName), JsonSerializer.SerializeToUtf8Bytes(record, StageJson.Options));
    }

    public static StageProvenance? Read(string artifactDirectory)
    {
        try { return JsonSerializer.Deserialize<StageProvenance>(File.ReadAllBytes(Path.Combine(artifactDirectory, FileName)), StageJson.Options); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }
}

/// <summary>
/// The last failure of a stage: <c>&lt;store&gt;/failed/&lt;key&gt;.json</c> with the error, the worker, and its log file
/// (<c>DSLUNLEARN_LOG</c>, which the Slurm task scripts set). Cleared when the stage is built.
/// </summary>
public sealed record StageFailure
{
    public const string LogVariable = "DSLUNLEARN_LOG";
    public required string Stage { get; init; }
    public required string Key { get; init; }
    public required WorkerIdentity Worker { get; init; }
    public required string FailedUtc { get; init; }
    public required string Error { get; init; }
    public string? Log { get; init; }
}

public static class StageFailures
{
    private static string PathOf(ArtifactStore store, string key) => Path.Combine(store.Root, "failed", key + ".json");

    internal static void Record(ArtifactStore store, string key, string stage, Exception e)
    {
        try
        {
            var failure = new StageFailure
            {
                Stage = stage, Key = key, Worker = WorkerIdentity.Current(), FailedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                Error = $"{e.GetType().Name}: {e.Message}", Log = Environment.GetEnvironmentVariable(StageFailure.LogVariable) is { Length: > 0 } l ? l : null,
            };
            AtomicFile.Write(PathOf(store, key), s => JsonSerializer.Serialize(s, failure, StageJson.Options));
        }
        catch (Exception write) when (write is IOException or UnauthorizedAccessException) { } // never hide the stage's own error
    }

    internal static void Clear(ArtifactStore store, string key)
    {
        try { File.Delete(PathOf(store, key)); } catch (IOException) { }
    }

    public static StageFailure? Read(ArtifactStore store, string key)
    {
        try { return JsonSerializer.Deserialize<StageFailure>(File.ReadAllBytes(PathOf(store, key)), StageJson.Options); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }
}
