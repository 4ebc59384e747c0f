using System.Diagnostics;
using DslUnlearn.IO;
using DslUnlearn.Progress;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>End-to-end numbers of one experiment: a cold run into an empty store, then a no-op re-run (all cached).</summary>
public sealed record EndToEndBenchResult
{
    public required string Experiment { get; init; }
    public required string Device { get; init; }
    public required int Processors { get; init; }
    public required double ColdRunSeconds { get; init; }
    public required int ColdRunStagesExecuted { get; init; }
    public required double NoOpRerunSeconds { get; init; }
    public required int NoOpRerunStagesExecuted { get; init; }
    public required double ReportOnlySeconds { get; init; }
    public required long PeakWorkingSetBytes { get; init; }
    public required long StoreBytes { get; init; }
    public required string MeasuredUtc { get; init; }
    public string? GitCommit { get; init; }
    /// <summary>The goal for a no-op re-run.</summary>
    public double NoOpGoalSeconds { get; init; } = 5;
}

/// <summary>
/// Measures an experiment end to end in this process (the caller decides what else ran before: for a clean peak
/// memory, run it in a fresh process, as `dslunlearn bench-e2e` does). The store is a fresh scratch folder,
/// removed afterwards unless <c>keep</c>.
/// </summary>
public static class EndToEndBench
{
    public static EndToEndBenchResult Measure(ExperimentSpec spec, string scratchRoot, IProgressSink? progress = null, bool keep = false)
    {
        if (Directory.Exists(scratchRoot) && Directory.EnumerateFileSystemEntries(scratchRoot).Any())
            throw new InvalidOperationException($"The bench scratch folder {scratchRoot} is not empty; the cold run needs an empty store. Remove it or pick another.");
        var options = new RunOptions { OutputRoot = scratchRoot, Progress = progress ?? NullProgressSink.Instance };
        try
        {
            var clock = Stopwatch.StartNew();
            var cold = StagedExperimentRunner.Run(spec, options);
            double coldSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var warm = StagedExperimentRunner.Run(spec, options);
            double warmSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            StagedExperimentRunner.Report(spec, options);
            double reportSeconds = clock.Elapsed.TotalSeconds;
            long storeBytes = new DirectoryInfo(ArtifactStore.ForOutputRoot(scratchRoot).Root).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            return new EndToEndBenchResult
            {
                Experiment = spec.Name,
                Device = cold.Manifest.Device,
                Processors = Environment.ProcessorCount,
                ColdRunSeconds = Math.Round(coldSeconds, 2),
                ColdRunStagesExecuted = cold.Executed.Count,
                NoOpRerunSeconds = Math.Round(warmSeconds, 3),
                NoOpRerunStagesExecuted = warm.Executed.Count,
                ReportOnlySeconds = Math.Round(reportSeconds, 3),
                PeakWorkingSetBytes = Provenance.PeakWorkingSet(),
                StoreBytes = storeBytes,
                MeasuredUtc = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                GitCommit = Provenance.GitCommit(),
            };
        }
        finally
        {
            if (!keep) ArtifactStore.TryDelete(scratchRoot);
        }
    }

    public static void Save(EndToEndBenchResult result, string path)
        => AtomicFile.Write(path, s => JsonSerializer.Serialize(s, result, StageJson.Options));
}
