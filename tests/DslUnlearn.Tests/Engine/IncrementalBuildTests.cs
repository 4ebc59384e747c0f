using DslUnlearn.Pipeline;

namespace DslUnlearn.Tests.Engine;

/// <summary>Caching, change detection, dry-run, gc, corruption, report-only rebuild and determinism of staged runs.</summary>
[Collection(EngineCollection.Name)]
public class IncrementalBuildTests(TinyReference reference)
{
    private static readonly RunOptions Options = EngineScenarios.Options;

    private static readonly string[] AllStages =
        ["init/model", "finetune/target", "evaluate/untrained", "evaluate/target", "unlearn/ga", "evaluate/ga", "unlearn/gd", "evaluate/gd", "report"];

    [Fact]
    public void Same_spec_and_seed_give_byte_identical_results_through_either_entry_point()
    {
        Assert.Equal(AllStages, reference.Result.Executed);
        using var a = new TempDir();
        var again = StagedExperimentRunner.Run(EngineScenarios.Get("tiny", a.Path), Options);
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(again.Result.ResultsJsonPath));

        // The generated experiments' entry point is the same staged runner.
        using var b = new TempDir();
        var direct = ExperimentRunner.Run(EngineScenarios.Get("tiny", b.Path), Options);
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(direct.ResultsJsonPath));
        Assert.Equal(File.ReadAllText(direct.SummaryPath), File.ReadAllText(again.Result.SummaryPath));
        Assert.True(Directory.Exists(Path.Combine(b.Path, ArtifactStore.StoreFolderName)));
    }

    [Fact]
    public void Changing_one_method_hyper_parameter_reruns_only_its_stages_and_the_report_then_gc_drops_the_old_ones()
    {
        using var dir = new TempDir();
        CopyDirectory(reference.Root, dir.Path);
        var spec = EngineScenarios.Get("tiny", dir.Path);

        var noop = StagedExperimentRunner.Run(spec, Options);
        Assert.Empty(noop.Executed);
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(noop.Result.ResultsJsonPath));

        var changed = EngineScenarios.Get("tiny-gd-lr", dir.Path);
        var plan = StagedExperimentRunner.Plan(changed, Options);
        Assert.Equal(["unlearn/gd", "evaluate/gd", "report"], plan.Where(p => p.WillRun).Select(p => p.Id));
        Assert.Equal("changed (options)", plan.Single(p => p.Id == "unlearn/gd").Reason);
        Assert.Equal("changed (inputs unlearn/gd)", plan.Single(p => p.Id == "evaluate/gd").Reason);
        Assert.StartsWith("changed (options; inputs unlearn/gd, evaluate/gd)", plan.Single(p => p.Id == "report").Reason);
        Assert.All(plan.Where(p => !p.WillRun), p => Assert.Equal("cached", p.Reason));

        var rerun = StagedExperimentRunner.Run(changed, Options);
        Assert.Equal(["unlearn/gd", "evaluate/gd", "report"], rerun.Executed);
        Assert.NotEqual(reference.ResultsJson, File.ReadAllBytes(rerun.Result.ResultsJsonPath));

        // gc: the old gd, its evaluation and the old report are no longer referenced by the manifest.
        var oldKeys = reference.Result.Stages.Where(s => s.Id is "unlearn/gd" or "evaluate/gd" or "report").Select(s => s.Key).Order().ToList();
        var dry = GarbageCollector.Collect(dir.Path, dryRun: true);
        Assert.Equal(oldKeys, dry.RemovedKeys.Order().ToList());
        var gc = GarbageCollector.Collect(dir.Path);
        Assert.Equal(oldKeys, gc.RemovedKeys.Order().ToList());
        Assert.True(gc.RemovedBytes > 0);
        var store = ArtifactStore.ForOutputRoot(dir.Path);
        Assert.All(oldKeys, k => Assert.Equal(ArtifactState.Missing, store.Check(k, out _)));
        Assert.All(StagedExperimentRunner.Plan(changed, Options), p => Assert.False(p.WillRun));
        Assert.Empty(GarbageCollector.Collect(dir.Path).RemovedKeys);

        // Back to the old value: only what gc removed is rebuilt, and the bytes are the original ones.
        var back = StagedExperimentRunner.Plan(spec, Options);
        Assert.Equal("changed (options)", back.Single(p => p.Id == "unlearn/gd").Reason);
        var restored = StagedExperimentRunner.Run(spec, Options);
        Assert.Equal(["unlearn/gd", "evaluate/gd", "report"], restored.Executed);
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(restored.Result.ResultsJsonPath));
    }

    [Fact]
    public void A_corrupt_artifact_is_detected_and_rebuilt_never_read()
    {
        using var dir = new TempDir();
        CopyDirectory(reference.Root, dir.Path);
        var spec = EngineScenarios.Get("tiny", dir.Path);
        var store = ArtifactStore.ForOutputRoot(dir.Path);
        string gaKey = reference.Result.Stages.Single(s => s.Id == "unlearn/ga").Key;
        string model = Path.Combine(store.DirectoryOf(gaKey), "model.bin");
        var bytes = File.ReadAllBytes(model);
        bytes[bytes.Length / 2] ^= 0x40; // one flipped bit, same size
        File.WriteAllBytes(model, bytes);

        Assert.Equal(ArtifactState.Corrupt, store.Check(gaKey, out var problem));
        Assert.Contains("SHA-256", problem);
        Assert.Null(store.TryOpen(gaKey));
        var plan = StagedExperimentRunner.Plan(spec, Options);
        Assert.StartsWith("corrupt (model.bin fails its SHA-256 check)", plan.Single(p => p.Id == "unlearn/ga").Reason);

        var run = StagedExperimentRunner.Run(spec, Options);
        Assert.Equal(["unlearn/ga"], run.Executed);
        Assert.Equal(ArtifactState.Complete, store.Check(gaKey, out _));
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(run.Result.ResultsJsonPath));

        // A truncated evaluation file (size mismatch) is caught the same way.
        string evalKey = reference.Result.Stages.Single(s => s.Id == "evaluate/gd").Key;
        string eval = Path.Combine(store.DirectoryOf(evalKey), "eval.json");
        File.WriteAllBytes(eval, File.ReadAllBytes(eval)[..10]);
        Assert.Equal(["evaluate/gd"], StagedExperimentRunner.Run(spec, Options).Executed);
    }

    [Fact]
    public void Report_rebuilds_tables_and_plots_from_stored_artifacts_without_recomputing()
    {
        using var dir = new TempDir();
        CopyDirectory(reference.Root, dir.Path);
        var spec = EngineScenarios.Get("tiny", dir.Path);
        string outDir = Path.Combine(dir.Path, spec.Name);
        Directory.Delete(Path.Combine(outDir, "tables"), recursive: true);
        File.Delete(Path.Combine(outDir, "results.json"));

        var report = StagedExperimentRunner.Report(spec, Options);
        Assert.Equal(["report"], report.Executed);
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(Path.Combine(outDir, "results.json")));
        foreach (var f in new[] { "tables/summary.md", "tables/summary.csv", "tables/summary.tex", "summary.md", "manifest.json" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        if (DslUnlearn.Reporting.Plots.FontsAvailable())
        {
            Assert.True(File.Exists(Path.Combine(outDir, "plots", "es_along_unlearning.png")));
            Assert.True(File.Exists(Path.Combine(outDir, "plots", "es_per_model.svg")));
        }

        // Without the trained stages in the store, report refuses (and says what to do) instead of training.
        var store = ArtifactStore.ForOutputRoot(dir.Path);
        store.Discard(reference.Result.Stages.Single(s => s.Id == "evaluate/ga").Key);
        var e = Assert.Throws<InvalidOperationException>(() => StagedExperimentRunner.Report(spec, Options));
        Assert.Contains("evaluate/ga", e.Message);
        Assert.Contains("dslunlearn run", e.Message);
    }

    [Fact]
    public void Manifest_records_stages_keys_and_provenance_but_results_json_has_no_timings()
    {
        var m = reference.Result.Manifest;
        Assert.Equal("engine-tiny", m.Experiment);
        Assert.Equal(AllStages, m.Stages.Select(s => s.Id));
        Assert.All(m.Stages, s => Assert.Matches("^[0-9a-f]{64}$", s.Key));
        Assert.Equal(m.Stages.Count, m.Stages.Select(s => s.Key).Distinct().Count());
        Assert.Equal("cpu", m.Device);
        Assert.Equal([7], m.Seeds);
        Assert.Contains("TorchSharp", m.Packages.Keys);
        Assert.True(m.PeakWorkingSetBytes > 0);
        Assert.Equal(CanonicalJson.Hash(m.ResolvedSpec), m.ResolvedSpecSha256);
        var reread = RunManifest.TryLoad(reference.Result.ManifestPath)!;
        Assert.Equal(m.Stages.Select(s => s.Key), reread.Stages.Select(s => s.Key));
        string results = System.Text.Encoding.UTF8.GetString(reference.ResultsJson);
        Assert.DoesNotContain("seconds", results);
        Assert.DoesNotContain(m.StartedUtc[..10], results);
    }

    [Fact]
    public async Task Two_concurrent_runs_of_the_same_spec_build_each_stage_once_and_agree()
    {
        using var dir = new TempDir();
        using var a = EngineScenarios.StartChild("tiny", dir.Path);
        using var b = EngineScenarios.StartChild("tiny", dir.Path);
        var outA = a.StandardOutput.ReadToEndAsync();
        var outB = b.StandardOutput.ReadToEndAsync();
        var errA = a.StandardError.ReadToEndAsync();
        var errB = b.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await Task.WhenAll(a.WaitForExitAsync(timeout.Token), b.WaitForExitAsync(timeout.Token));
        string oa = await outA, ob = await outB, ea = await errA, eb = await errB;
        Assert.True(a.ExitCode == 0, $"first child failed:\n{oa}\n{ea}");
        Assert.True(b.ExitCode == 0, $"second child failed:\n{ob}\n{eb}");

        var executed = EngineScenarios.ExecutedIn(oa).Concat(EngineScenarios.ExecutedIn(ob)).ToList();
        Assert.Equal(AllStages.Order(), executed.Order()); // every stage built by exactly one of them
        Assert.Equal(reference.ResultsJson, File.ReadAllBytes(Path.Combine(dir.Path, "engine-tiny", "results.json")));
        var check = StagedExperimentRunner.Run(EngineScenarios.Get("tiny", dir.Path), Options);
        Assert.Empty(check.Executed);
        ResumeAfterKillTests.AssertStoreClean(dir.Path, check);
    }

    internal static void CopyDirectory(string from, string to)
    {
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)), overwrite: true);
    }
}
