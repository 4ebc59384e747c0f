using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DslUnlearn.Data;
using DslUnlearn.Methods;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Pipeline;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;
using DslUnlearn.Text;
using DslUnlearn.Torch;
using DslUnlearn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Engine;

/// <summary>What a staged run did: the usual result plus each stage's outcome and the manifest.</summary>
public sealed record StagedRunResult(ExperimentResult Result, IReadOnlyList<StageOutcome> Stages, string ManifestPath, RunManifest Manifest)
{
    /// <summary>Ids of the stages this run computed (executed or resumed), in order.</summary>
    public IReadOnlyList<string> Executed => Stages.Where(s => s.Status != "cached").Select(s => s.Id).ToList();
}

/// <summary>
/// The experiment as a build: the same work as <see cref="ExperimentRunner"/> (same numbers, byte-identical
/// results.json) cut into stages whose outputs live in the artifact store under their keys.
/// <code>
///   init/model ─► finetune/target ─► unlearn/&lt;name&gt; (per entry) ─► evaluate/&lt;name&gt; ─┐
///        └─► evaluate/untrained        └─► evaluate/target ─────────────────────────┴─► report
///   finetune/target, unlearn/&lt;name&gt; ─► attack/&lt;model&gt;/&lt;attack&gt; (per model and attack pipeline) ─► report
///   finetune/target + unlearn/&lt;name&gt; ─► calibrate/&lt;name&gt; (when the spec calibrates) ─► report
/// </code>
/// Oracle stages slot in the same way (a <see cref="StageDefinition"/> with its inputs); see StagedExperimentRunner.Attacks.cs.
/// </summary>
public static partial class StagedExperimentRunner
{
    public const int TrajectoryPoints = 5;

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
        progress.Message($"Data: {p.Data.Forget.Count} forget and {p.Data.Retain.Count} retain QA pairs " + (spec.Data.Source == DataSource.Tofu
            ? $"(TOFU {spec.Data.Split}{(spec.Data.RetainAuthors is int r ? $", first {r} retain authors" : "")})."
            : $"({spec.Data.Authors} authors, {spec.Data.ForgetAuthors} to forget)."));

        var engine = new BuildEngine(p.Store, p.EngineOptions);
        var previous = RunManifest.TryLoad(Path.Combine(p.OutDir, RunManifest.FileName));
        var outcomes = engine.Build(p.Graph, progress, options.Cancellation, forceReport: reportOnly, noCompute: reportOnly, previous: previous);
        foreach (var o in outcomes)
            progress.Message($"  {o.Id,-22} {o.Status,-8} {o.Key[..12]}{(o.Status == "cached" ? "" : $"  {o.Seconds:F1} s  ({o.Reason})")}");

        var keys = p.Graph.ComputeKeys();
        var report = p.Store.Open(keys["report"]);
        var published = Publish(report, p.OutDir);
        var record = LoadRecord(p, p.Store, keys);
        var warnings = p.Fonts ? new List<string>() : [ReportBuilder.FontWarning];
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
        double? built = o.Status == "cached" ? previous?.Stages.FirstOrDefault(x => x.Key == o.Key)?.BuildSeconds : Math.Round(o.Seconds, 3);
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
        QaDataset Data, QaEncoder Encoder, EncodedQa[] Forget, EncodedQa[] Retain, RunInputs.ModelSourceInfo Model, JsonNode ResolvedSpec, bool Fonts, StageGraph Graph);

    private static Prepared Prepare(ExperimentSpec spec, RunOptions options, IProgressSink progress)
    {
        var device = DeviceResolver.Resolve(spec.Device);
        string root = OutputRoot(spec, options);
        var data = RunInputs.LoadData(spec);
        var source = RunInputs.ModelSource(spec);
        var encoder = new QaEncoder(source.Tokenizer, spec.Prompt);
        var forget = encoder.EncodeAll(data.Forget);
        var retain = encoder.EncodeAll(data.Retain);
        RunInputs.CheckFits(spec, source, data, encoder);
        var dup = spec.Unlearn.GroupBy(u => u.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new InvalidOperationException($"{spec.SourceFile}: two unlearn entries are named '{dup.Key}'; give each a distinct `name:`.");

        var resolved = CanonicalJson.FromObject(spec with { Report = spec.Report with { Out = "" } })!;
        if (spec.Cell is null) resolved.AsObject().Remove("cell"); // keeps the keys of specs without experiment-level sweeps
        if (spec.Testbed is null) resolved.AsObject().Remove("testbed"); // likewise for specs off the biographies testbed
        var p = new Prepared(spec, ExperimentCells.OutputDirectory(spec, root), ArtifactStore.ForOutputRoot(root),
            new EngineOptions { CheckpointEvery = options.CheckpointEvery }, device, data, encoder, forget, retain, source, resolved, Plots.FontsAvailable(), new StageGraph(spec.Seed));
        AddStages(p, progress);
        return p;
    }

    /// <summary>The data section in stage keys; an unset retain_authors is left out, so keys from before it existed stay valid.</summary>
    private static JsonObject DataNode(DataSpec data)
    {
        var node = CanonicalJson.FromObject(data)!.AsObject();
        if (data.RetainAuthors is null) node.Remove("retain_authors");
        return node;
    }

    private static void AddStages(Prepared p, IProgressSink progress)
    {
        var spec = p.Spec;
        string dev = DeviceName(p.Device);
        var dataNode = new JsonObject
        {
            ["data"] = DataNode(spec.Data),
            ["prompt"] = CanonicalJson.FromObject(spec.Prompt),
            ["tokenizer"] = new JsonObject { ["type"] = p.Encoder.Tokenizer.GetType().Name, ["vocab_size"] = p.Encoder.Tokenizer.VocabSize },
        };
        int padId = p.Encoder.Tokenizer.PadId;
        var fmt = p.EngineOptions.ModelFormat;
        var g = p.Graph;

        g.Add(new StageDefinition
        {
            Id = "init/model", Kind = "init",
            Options = new JsonObject { ["model"] = p.Model.Key.DeepClone(), ["preset"] = spec.Model.Preset, ["tokenizer"] = dataNode["tokenizer"]!.DeepClone(), ["device"] = dev },
            Execute = ctx =>
            {
                // torch RNG seeded with the spec seed by the engine; a checkpoint brings its own weights
                using var model = p.Model.CreateInitial();
                model.Module.to(p.Device);
                long parameters = model.Module.parameters().Sum(t => t.numel());
                progress.Message($"Model: {p.Model.Description}, {parameters:N0} parameters.");
                ctx.Output.WriteFile(fmt.FileName, s => fmt.Save(model.Module, s));
                ctx.Output.WriteJson("meta.json", new JsonObject { ["parameters"] = parameters });
            },
        });
        AddPretrainStages(p, dataNode, progress);
        g.Add(new StageDefinition
        {
            Id = "finetune/target", Kind = "finetune", Inputs = [TargetBase(p)],
            Options = new JsonObject { ["finetune"] = FinetuneNode(spec), ["data"] = dataNode.DeepClone(), ["device"] = dev },
            Execute = ctx =>
            {
                RunFinetune(p, ctx, TargetBase(p), (model, ckpt) => Finetuner.Train(model, p.Forget.Concat(p.Retain).ToArray(), spec.Finetune, (ulong)spec.Seed,
                    p.Device, progress, "finetune target", padId, ctx.Cancellation, ckpt));
            },
        });
        var evalOptions = new JsonObject
        {
            ["metrics"] = CanonicalJson.FromObject(spec.Metrics), ["data"] = dataNode.DeepClone(), ["device"] = dev, ["batch_size"] = ExperimentRunner.EvalBatchSize,
        };
        AddOracleStage(p, dataNode, progress);
        AddEvaluate(p, "untrained", "init/model", evalOptions, progress);
        AddEvaluate(p, "target", "finetune/target", evalOptions, progress);
        if (spec.Finetune.Oracle) AddEvaluate(p, OracleName, OracleStage, evalOptions, progress);

        foreach (var u in spec.Unlearn)
        {
            var method = u.Method;
            var methodNode = CanonicalJson.FromObject(method)!.AsObject();
            methodNode["type"] = method.GetType().FullName;
            methodNode["options"]?.AsObject().Remove("name"); // a label: renaming reuses the artifact
            int every = Math.Max(1, (method.Options.TotalSteps(p.Forget.Length) + TrajectoryPoints - 1) / TrajectoryPoints);
            g.Add(new StageDefinition
            {
                Id = $"unlearn/{u.Name}", Kind = "unlearn", Inputs = ["finetune/target"],
                Options = new JsonObject { ["method"] = methodNode, ["data"] = dataNode.DeepClone(), ["device"] = dev, ["seed_offset"] = 1, ["trajectory_every"] = every },
                Execute = ctx =>
                {
                    using var model = LoadModel(p, ctx.Input("finetune/target"), fmt);
                    StoreCheckpointer? ckpt = null;
                    void Record(int step, ICausalLM m)
                    {
                        if (step != 0 && step % every != 0 && step != method.Options.TotalSteps(p.Forget.Length)) return;
                        double f = Evaluator.Evaluate(m, p.Forget, ExperimentRunner.EvalBatchSize, p.Device, padId).EsExact.Average();
                        double r = p.Retain.Length == 0 ? double.NaN : Evaluator.Evaluate(m, p.Retain, ExperimentRunner.EvalBatchSize, p.Device, padId).EsExact.Average();
                        var list = ckpt!.Extra["trajectory"] as JsonArray ?? (JsonArray)(ckpt.Extra["trajectory"] = new JsonArray());
                        list.Add(new JsonObject { ["step"] = step, ["forget_es"] = f, ["retain_es"] = double.IsNaN(r) ? null : r });
                    }
                    ckpt = ctx.Checkpointer(Record);
                    Record(0, model);
                    var log = UnlearningLoop.Run(model, method, p.Forget, p.Retain, (ulong)spec.Seed + 1, p.Device, progress, $"unlearn {u.Name}", padId, ctx.Cancellation, p.Encoder.Tokenizer, checkpointer: ckpt);
                    ctx.ResumedFromStep = ckpt.ResumedFromStep;
                    ctx.Output.WriteFile(fmt.FileName, s => fmt.Save(model.Module, s));
                    ctx.Output.WriteJson("log.json", log.Select(l => new JsonObject
                    {
                        ["step"] = l.Step, ["loss"] = LoopState.Bits(l.Loss), ["forget_nll"] = LoopState.Bits(l.ForgetNll), ["retain_nll"] = LoopState.Bits(l.RetainNll),
                    }).ToList());
                    ctx.Output.WriteJson("trajectory.json", ckpt.Extra["trajectory"] ?? new JsonArray());
                },
            });
            AddEvaluate(p, u.Name, $"unlearn/{u.Name}", evalOptions, progress);
        }

        var reportInputs = new List<string> { "finetune/target", "evaluate/untrained", "evaluate/target" };
        if (spec.Finetune.Oracle) reportInputs.Add($"evaluate/{OracleName}");
        foreach (var u in spec.Unlearn) reportInputs.AddRange([$"unlearn/{u.Name}", $"evaluate/{u.Name}"]);
        reportInputs.AddRange(AddAttackStages(p, evalOptions, progress));
        reportInputs.AddRange(AddCalibrationStages(p, dataNode, progress));
        g.Add(new StageDefinition
        {
            Id = "report", Kind = "report", Inputs = reportInputs, IsReport = true,
            Options = new JsonObject
            {
                ["spec"] = p.ResolvedSpec.DeepClone(), ["results_format"] = ResultsJsonWriter.FormatVersion,
                ["report_format"] = ReportBuilder.FormatVersion, ["plots"] = p.Fonts,
            },
            Execute = ctx =>
            {
                var input = LoadReportInput(p, ctx.Store, ctx.Keys);
                ReportBuilder.Build(input, p.Fonts, (name, write) => ctx.Output.WriteFile(name, write));
            },
        });
    }

    private static void AddEvaluate(Prepared p, string name, string modelStage, JsonObject options, IProgressSink progress)
    {
        // With an oracle, every metric gets it as its reference model (forget_quality needs one); the oracle's own evaluation uses itself.
        bool withOracle = p.Spec.Finetune.Oracle;
        p.Graph.Add(new StageDefinition
        {
            Id = $"evaluate/{name}", Kind = "evaluate", Inputs = withOracle && modelStage != OracleStage ? [modelStage, OracleStage] : [modelStage], Options = options.DeepClone(),
            Execute = ctx =>
            {
                using var model = LoadModel(p, ctx.Input(modelStage), p.EngineOptions.ModelFormat);
                using var oracle = withOracle ? LoadModel(p, ctx.Input(OracleStage), p.EngineOptions.ModelFormat) : null;
                var eval = oracle is null
                    ? ExperimentRunner.Evaluate(name, "", null, model, p.Spec, p.Data, p.Encoder, p.Device, progress)
                    : new ModelEvaluation(name, "", null, EvaluateMetrics(p, model, null, oracle));
                if (oracle is not null) progress.Message($"  {name,-10} " + string.Join("  ", eval.Metrics.Select(v => $"{v.Metric}/{SpecNames.Of(v.Split)} {v.Mean:F3}")));
                ctx.Output.WriteJson("eval.json", eval.Metrics.Select(m => new JsonObject
                {
                    ["metric"] = m.Metric, ["split"] = SpecNames.Of(m.Split),
                    ["values"] = new JsonArray(m.Values.Select(v => (JsonNode?)LoopState.Bits(v)).ToArray()),
                }).ToList());
            },
        });
    }

    private static ICausalLM LoadModel(Prepared p, Artifact artifact, IModelArtifactFormat fmt)
    {
        var model = p.Model.CreateEmpty();
        try
        {
            using (var f = File.OpenRead(artifact.PathOf(fmt.FileName))) fmt.Load(model.Module, f);
            model.Module.to(p.Device);
            model.Module.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static ReportInput LoadReportInput(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var record = LoadRecord(p, store, keys);
        var trajectories = new List<TrajectoryPoint>();
        foreach (var u in p.Spec.Unlearn)
        {
            var traj = JsonNode.Parse(store.Open(keys[$"unlearn/{u.Name}"]).ReadText("trajectory.json"))!.AsArray();
            trajectories.AddRange(traj.Select(t => new TrajectoryPoint(u.Name, p.Spec.Seed, t!["step"]!.GetValue<int>(),
                t["forget_es"]!.GetValue<double>(), t["retain_es"]?.GetValue<double>() ?? double.NaN)));
        }
        return WithAttacksAndCalibration(p, record, new ReportInput { Runs = [record], Trajectories = trajectories });
    }

    /// <summary>The run record (what results.json is written from), rebuilt from stored artifacts.</summary>
    private static RunRecord LoadRecord(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var spec = p.Spec;
        var meta = JsonNode.Parse(store.Open(keys["finetune/target"]).ReadText("meta.json"))!;
        var models = new List<ModelEvaluation>
        {
            ReadEval(store, keys, "untrained", "untrained", null),
            ReadEval(store, keys, "target", "target", null),
        };
        if (spec.Finetune.Oracle) models.Add(ReadEval(store, keys, OracleName, OracleName, null));
        var logs = new Dictionary<string, IReadOnlyList<UnlearningLoop.StepLog>>();
        foreach (var u in spec.Unlearn)
        {
            var log = JsonNode.Parse(store.Open(keys[$"unlearn/{u.Name}"]).ReadText("log.json"))!.AsArray();
            logs[u.Name] = log.Select(l => new UnlearningLoop.StepLog(l!["step"]!.GetValue<int>(), LoopState.Double(l["loss"]),
                LoopState.Double(l["forget_nll"]), LoopState.Double(l["retain_nll"]))).ToList();
            models.Add(ReadEval(store, keys, u.Name, "unlearned", u.MethodName));
        }
        return new RunRecord(spec, p.Data, meta["parameters"]!.GetValue<long>(), LoopState.Double(meta["final_loss_bits"]), models, logs)
        {
            Attacked = ReadAttacked(p, store, keys),
            Calibrations = ReadCalibrations(p, store, keys),
        };
    }

    private static ModelEvaluation ReadEval(ArtifactStore store, IReadOnlyDictionary<string, string> keys, string name, string kind, string? method)
    {
        var items = JsonNode.Parse(store.Open(keys[$"evaluate/{name}"]).ReadText("eval.json"))!.AsArray();
        var values = items.Select(i => new MetricValues(
            i!["metric"]!.GetValue<string>(),
            Enum.GetValues<SplitKind>().First(s => SpecNames.Of(s) == i!["split"]!.GetValue<string>()),
            i!["values"]!.AsArray().Select(v => LoopState.Double(v)).ToList())).ToList();
        return new ModelEvaluation(name, kind, method, values);
    }
}
