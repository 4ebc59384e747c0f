using System.Diagnostics;
using DslUnlearn.Data;
using DslUnlearn.IO;
using DslUnlearn.Methods;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Text;
using DslUnlearn.Torch;
using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>What a staged run did: the usual result plus each stage's outcome and the manifest.</summary>
public sealed record StagedRunResult(ExperimentResult Result, IReadOnlyList<StageOutcome> Stages, string ManifestPath, RunManifest Manifest)
{
    /// <summary>Ids of the stages this run computed (executed or resumed), in order.</summary>
    public IReadOnlyList<string> Executed => Stages.Where(s => !s.IsCached).Select(s => s.Id).ToList();
}

/// <summary>
/// The one runner: the experiment as a build, cut into stages whose outputs live in the artifact store under their keys.
/// <code>
///   init/model ─► finetune/target ─► unlearn/&lt;name&gt; (per entry) ─► evaluate/&lt;name&gt; ─┐
///        └─► evaluate/untrained        └─► evaluate/target ─────────────────────────┴─► report
///   finetune/target, unlearn/&lt;name&gt; ─► attack/&lt;model&gt;/&lt;attack&gt; (per model and attack pipeline) ─► report
///   finetune/target + unlearn/&lt;name&gt; ─► calibrate/&lt;name&gt; (when the spec calibrates) ─► report
/// </code>
/// Oracle stages slot in the same way. Each stage kind has its file under Stages/ with the artifact record it writes
/// and the report reads (<see cref="ModelMeta"/>, <see cref="UnlearnArtifact"/>, <see cref="EvalArtifact"/>, <see cref="CalibrationArtifact"/>);
/// ids and kinds are in <see cref="StageIds"/> and <see cref="StageKinds"/>.
/// </summary>
public static partial class StagedExperimentRunner
{
    /// <summary>Runs (or resumes, or reuses) every stage and publishes the report to &lt;out&gt;/&lt;experiment&gt;/.</summary>
    public static StagedRunResult Run(ExperimentSpec spec, RunOptions options) => Execute(spec, options, reportOnly: false);

    /// <summary>`dslunlearn report`: rebuilds tables and plots from stored artifacts; refuses to train or evaluate.</summary>
    public static StagedRunResult Report(ExperimentSpec spec, RunOptions options) => Execute(spec, options, reportOnly: true);

    /// <summary>`run --dry-run`: which stages would run and why; computes nothing.</summary>
    public static IReadOnlyList<StagePlan> Plan(ExperimentSpec spec, RunOptions options)
    {
        var plan = Prepare(spec, options, NullProgressSink.Instance);
        var previous = RunManifest.TryLoad(Path.Combine(plan.OutDir, RunManifest.FileName));
        return new BuildEngine(plan.Store, plan.EngineOptions).Plan(plan.Graph, previous);
    }

    public static string OutputRoot(ExperimentSpec spec, RunOptions options) => Path.GetFullPath(options.OutputRoot ?? spec.Report.Out);

    private static StagedRunResult Execute(ExperimentSpec spec, RunOptions options, bool reportOnly)
    {
        var clock = Stopwatch.StartNew();
        string started = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var progress = options.Progress;
        var p = Prepare(spec, options, progress);
        progress.Message($"Experiment '{spec.Name}' from {spec.SourceFile}: seed {spec.Seed}, device {DeviceName(p.Device)}, output {p.OutDir}, store {p.Store.Root}");
        progress.Message($"Data: {p.Data.Forget.Count} forget, {p.Data.RetainTrain.Count} retain-train, {p.Data.RetainEval.Count} retain-eval and {p.Data.Holdout.Count} holdout QA pairs " + (spec.Data.Source == DataSource.Tofu
            ? $"(TOFU {spec.Data.Split}{(spec.Data.RetainAuthors is int r ? $", first {r} retain authors" : "")})."
            : $"({spec.Data.Authors} authors, {spec.Data.ForgetAuthors} to forget)."));

        var engine = new BuildEngine(p.Store, p.EngineOptions);
        var previous = RunManifest.TryLoad(Path.Combine(p.OutDir, RunManifest.FileName));
        var outcomes = engine.Build(p.Graph, progress, options.Cancellation, forceReport: reportOnly, noCompute: reportOnly, previous: previous);
        foreach (var o in outcomes)
            progress.Message($"  {o.Id,-22} {o.Status,-8} {o.Key[..12]}{(o.IsCached ? "" : $"  {o.Seconds:F1} s  ({o.Reason})")}");

        var keys = p.Graph.ComputeKeys();
        var report = p.Store.Open(keys[StageIds.Report]);
        var published = Publish(report, p.OutDir);
        var record = LoadRecord(p, p.Store, keys);
        var warnings = p.Fonts ? new List<string>() : [ReportBuilder.FontWarning];
        warnings.AddRange(record.NonFiniteWarnings());
        foreach (var w in warnings) progress.Message(w);

        var manifest = new RunManifest
        {
            Experiment = spec.Name,
            SpecFile = spec.SourceFile,
            SpecFileSha256 = SpecFileHash(spec.SourceFile),
            ResolvedSpecSha256 = CanonicalJson.Hash(p.ResolvedSpec),
            ResolvedSpec = p.ResolvedSpec,
            Seed = spec.Seed,
            Seeds = [spec.Seed],
            RuntimeVersion = EngineInfo.RuntimeVersion,
            GitCommit = Provenance.GitCommit(),
            Packages = Provenance.Packages(),
            Device = DeviceName(p.Device),
            Host = Provenance.Host(),
            Worker = WorkerIdentity.Current(),
            StartedUtc = started,
            WallSeconds = clock.Elapsed.TotalSeconds,
            PeakWorkingSetBytes = Provenance.PeakWorkingSet(),
            Stages = outcomes.Select(o => ToManifest(p.Graph, keys, o, previous)).ToList(),
            Outputs = published,
            Warnings = warnings,
        };
        string manifestPath = Path.Combine(p.OutDir, RunManifest.FileName);
        manifest.Save(manifestPath);
        var result = new ExperimentResult(p.OutDir, Path.Combine(p.OutDir, "results.json"), Path.Combine(p.OutDir, "summary.md"), record);
        progress.Message($"Wrote {result.ResultsJsonPath}, tables/, plots/ and {manifestPath}");
        return new StagedRunResult(result, outcomes, manifestPath, manifest);
    }

    private static ManifestStage ToManifest(StageGraph graph, IReadOnlyDictionary<string, string> keys, StageOutcome o, RunManifest? previous)
    {
        var s = graph[o.Id];
        double? built = o.IsCached ? previous?.Stages.FirstOrDefault(x => x.Key == o.Key)?.BuildSeconds : Math.Round(o.Seconds, 3);
        return new ManifestStage
        {
            Id = o.Id, Kind = o.Kind, Key = o.Key, OptionsSha256 = CanonicalJson.Hash(s.Options),
            Inputs = s.Inputs.ToDictionary(i => i, i => keys[i]), Runtime = EngineInfo.RuntimeVersion,
            Status = o.Status, Reason = o.Reason, Seconds = Math.Round(o.Seconds, 3), BuildSeconds = built, ResumedFromStep = o.ResumedFromStep, Bytes = o.Bytes,
        };
    }

    /// <summary>Copies the report artifact's files to the experiment folder (each atomically); drops stale tables/plots.</summary>
    private static IReadOnlyList<string> Publish(Artifact report, string outDir)
    {
        var files = report.Index.Files.Select(f => f.Path).ToList();
        RemoveStaleTempFiles(outDir);
        foreach (var sub in new[] { "tables", "plots" })
        {
            string dir = Path.Combine(outDir, sub);
            if (!Directory.Exists(dir)) continue;
            // A *.tmp here may be another live run's file being published (RemoveStaleTempFiles handles dead ones).
            foreach (var stale in Directory.EnumerateFiles(dir))
                if (!stale.EndsWith(".tmp", StringComparison.Ordinal) && !files.Contains($"{sub}/{Path.GetFileName(stale)}")) File.Delete(stale);
        }
        foreach (var f in files)
        {
            string target = Path.Combine(outDir, f);
            AtomicFile.Write(target, s => { using var src = File.OpenRead(report.PathOf(f)); src.CopyTo(s); });
            CrashPoints.Hit("publish");
        }
        return files;
    }

    /// <summary>AtomicFile temp files (&lt;file&gt;.&lt;pid&gt;.tmp) of writers that died; a live writer's are left alone.</summary>
    private static void RemoveStaleTempFiles(string outDir)
    {
        if (!Directory.Exists(outDir)) return;
        foreach (var tmp in Directory.EnumerateFiles(outDir, "*.tmp", SearchOption.AllDirectories))
        {
            var parts = Path.GetFileName(tmp).Split('.');
            if (parts.Length >= 3 && int.TryParse(parts[^2], out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}") && OperatingSystem.IsLinux())
                File.Delete(tmp);
        }
    }

    private static string? SpecFileHash(string sourceFile)
    {
        foreach (var candidate in new[] { sourceFile, Path.Combine("experiments", sourceFile) })
            if (File.Exists(candidate)) return ArtifactStore.HashFile(candidate);
        return null;
    }

    private static string DeviceName(Device d) => d.type.ToString().ToLowerInvariant();

    /// <summary>Everything a run needs before any stage runs: data, encoder, config, store, graph.</summary>
    private sealed record Prepared(ExperimentSpec Spec, string OutDir, ArtifactStore Store, EngineOptions EngineOptions, Device Device,
        QaDataset Data, QaEncoder Encoder, EncodedQa[] Forget, EncodedQa[] RetainTrain, EncodedQa[] RetainEval, RunInputs.ModelSourceInfo Model, JsonNode ResolvedSpec, bool Fonts, StageGraph Graph)
    {
        /// <summary>The faithfulness pool sizes' model sources, by size label (<see cref="ModelOf"/>); empty without sizes.</summary>
        public IReadOnlyDictionary<string, RunInputs.ModelSourceInfo> PoolModels { get; init; } = new Dictionary<string, RunInputs.ModelSourceInfo>();

        /// <summary>The retain rows the target and the oracle fine-tune on (retain-eval then retain-train, the data's order).</summary>
        public EncodedQa[] FinetuneRetain => [.. RetainEval, .. RetainTrain];
    }

    private static Prepared Prepare(ExperimentSpec spec, RunOptions options, IProgressSink progress)
    {
        var device = DeviceResolver.Resolve(spec.Device);
        string root = OutputRoot(spec, options);
        var data = RunInputs.LoadData(spec);
        var source = RunInputs.ModelSource(spec);
        var encoder = new QaEncoder(source.Tokenizer, spec.Prompt);
        var forget = encoder.EncodeAll(data.Forget);
        var retainTrain = encoder.EncodeAll(data.RetainTrain);
        var retainEval = encoder.EncodeAll(data.RetainEval);
        RunInputs.CheckFits(spec, source, data, encoder);
        var dup = spec.Unlearn.GroupBy(u => u.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new InvalidOperationException($"{spec.SourceFile}: two unlearn entries are named '{dup.Key}'; give each a distinct `name:`.");

        var resolved = CanonicalJson.FromObject(spec with { Report = spec.Report with { Out = "" } })!;
        if (spec.Cell is null) resolved.AsObject().Remove("cell"); // keeps the keys of specs without experiment-level sweeps
        RemoveKeyNeutralDefaults(resolved); // testbed and meta_eval when null, model.dtype float32, ... (KeyNeutralDefaults)
        var p = new Prepared(spec, ExperimentResult.DirectoryOf(spec, root), ArtifactStore.ForOutputRoot(root),
            new EngineOptions { CheckpointEvery = options.CheckpointEvery }, device, data, encoder, forget, retainTrain, retainEval, source, resolved, Plots.FontsAvailable(), new StageGraph(spec.Seed))
        {
            PoolModels = PoolModelSources(spec, source),
        };
        AddStages(p, progress);
        return p;
    }

    /// <summary>
    /// The data section in stage keys; an unset retain_authors is left out, so keys from before it existed stay valid.
    /// The resolved split sizes (docs/evaluation-protocol.md) and a holdout file's hash are part of it, so a change of
    /// the split rules or of the file re-runs what depends on them.
    /// </summary>
    private static JsonObject DataNode(ExperimentSpec spec, QaDataset rows)
    {
        var data = spec.Data;
        var node = CanonicalJson.FromObject(data)!.AsObject();
        if (data.RetainAuthors is null) node.Remove("retain_authors");
        node["splits"] = new JsonObject
        {
            ["forget"] = rows.Forget.Count, ["retain_train"] = rows.RetainTrain.Count, ["retain_eval"] = rows.RetainEval.Count, ["holdout"] = rows.Holdout.Count,
            ["auxiliary"] = new JsonObject(rows.Auxiliary.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.Count))),
        };
        if (data.Holdout is { } holdout) node["holdout_sha256"] = FileHashCache.Sha256(RunInputs.ResolvePath(holdout, spec, "data.holdout"));
        return node;
    }

    /// <summary>What decides the spec's graph shape (<see cref="StageShape"/>, shared with the generator's static plan).</summary>
    public static StageShapeInput ShapeInput(ExperimentSpec spec)
        => new(spec.Testbed is not null, spec.Finetune.Oracle, spec.Unlearn.Select(u => u.Name).ToList(), spec.Attacks.Select(a => a.Name).ToList(), spec.Calibration is not null,
            spec.Seed, ForgetOnlyMetrics(spec).Length > 0 ? spec.MetaEval?.Faithfulness?.Seeds.ToList() : null,
            ForgetOnlyMetrics(spec).Length > 0 ? spec.MetaEval?.Faithfulness?.Sizes.Select(SizeLabel).ToList() : null);

    /// <summary>The stages of <see cref="StageShape.Of"/>, each given its options (its key) and its work.</summary>
    private static void AddStages(Prepared p, IProgressSink progress)
    {
        var spec = p.Spec;
        var dataNode = new JsonObject
        {
            ["data"] = DataNode(spec, p.Data),
            ["prompt"] = CanonicalJson.FromObject(spec.Prompt),
            ["tokenizer"] = new JsonObject { ["type"] = p.Encoder.Tokenizer.GetType().Name, ["vocab_size"] = p.Encoder.Tokenizer.VocabSize },
        };
        if (spec.Testbed is { } testbed)
        {
            dataNode["testbed"] = CanonicalJson.FromObject(testbed)!.AsObject().WithoutKeyNeutralDefaults("testbed");
        }
        var evalOptions = EvaluationOptions(p, dataNode);
        var attackOptions = AttackOptions(p, evalOptions);
        var calibration = CalibrationOptions(p, dataNode);
        foreach (var s in StageShape.Of(ShapeInput(spec)))
        {
            switch (s.Kind)
            {
                case StageKinds.Init: AddInitStage(p, s, dataNode, progress); break;
                case StageKinds.Pretrain: AddPretrainStage(p, s, dataNode, progress); break;
                case StageKinds.Finetune when s.Role == StageIds.Oracle: AddOracleStage(p, s, dataNode, progress); break;
                case StageKinds.Finetune: AddTargetStage(p, s, dataNode, progress); break;
                case StageKinds.Evaluate when s.Pool: AddPoolEvaluate(p, s, evalOptions, progress); break;
                case StageKinds.Evaluate: AddEvaluate(p, s, evalOptions, progress); break;
                case StageKinds.Unlearn: AddUnlearnStage(p, s, spec.Unlearn.First(u => u.Name == s.Model), dataNode, progress); break;
                case StageKinds.Attack: AddAttackStage(p, s, attackOptions[s.Attack!], progress); break;
                case StageKinds.Calibrate: AddCalibrationStage(p, s, calibration!, progress); break;
                case StageKinds.Report: AddReportStage(p, s); break;
                default: throw new InvalidOperationException($"No stage of kind '{s.Kind}' ({s.Id}) in the runtime.");
            }
        }
    }
}
