using DslUnlearn.Calibration;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Reporting;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>
/// calibration.json of a <c>calibrate/&lt;model&gt;</c> stage: alpha, the criterion reached and the reference's, the
/// evaluations spent, each forget metric's own result at alpha (aggregate and per-sample values) and the curve; doubles
/// as bit patterns. The one reader and writer.
/// </summary>
public sealed record CalibrationArtifact(CalibrationResult Result)
{
    public const string FileName = "calibration.json";

    public void Write(ArtifactWriter output)
    {
        var r = Result;
        var forget = new JsonObject();
        foreach (var (name, value) in r.Forget)
            forget[name] = new JsonObject
            {
                ["agg_value"] = LoopState.Bits(value.AggValue),
                ["values"] = value.ValueByIndex is { } v ? new JsonArray(v.Select(x => (JsonNode?)LoopState.Bits(x)).ToArray()) : null,
            };
        output.WriteJson(FileName, new JsonObject
        {
            ["alpha"] = LoopState.Bits(r.Alpha), ["retain_value"] = LoopState.Bits(r.RetainValue),
            ["reference_retain_value"] = LoopState.Bits(r.ReferenceRetainValue), ["evaluations"] = r.Evaluations,
            ["forget"] = forget,
            ["curve"] = new JsonArray(r.Curve.Select(c =>
            {
                var f = new JsonObject();
                foreach (var (name, value) in c.Forget) f[name] = LoopState.Bits(value);
                return (JsonNode?)new JsonObject { ["alpha"] = LoopState.Bits(c.Alpha), ["retain"] = LoopState.Bits(c.Retain), ["forget"] = f };
            }).ToArray()),
        });
    }

    public static CalibrationArtifact Read(Artifact artifact)
    {
        var n = JsonNode.Parse(artifact.ReadText(FileName))!;
        var forget = n["forget"]!.AsObject().ToDictionary(kv => kv.Key, kv => new MetricResult(LoopState.Double(kv.Value!["agg_value"]),
            kv.Value!["values"] is JsonArray a ? a.Select(x => LoopState.Double(x)).ToList() : null));
        var curve = n["curve"]!.AsArray().Select(c => new CalibrationPoint(LoopState.Double(c!["alpha"]), LoopState.Double(c["retain"]),
            c["forget"]!.AsObject().ToDictionary(kv => kv.Key, kv => LoopState.Double(kv.Value)))).ToList();
        return new CalibrationArtifact(new CalibrationResult(LoopState.Double(n["alpha"]), LoopState.Double(n["retain_value"]), LoopState.Double(n["reference_retain_value"]),
            n["evaluations"]!.GetValue<int>(), forget, curve));
    }
}

/// <summary><c>calibrate/&lt;model&gt;</c>: model mixing of the target (reference) and an unlearned model (the paper's control).</summary>
public static partial class StagedExperimentRunner
{
    /// <summary>The calibration's default retain criterion (on the retain split) and forget metrics; a spec names its own in CalibrationSpec.</summary>
    public const string CalibrationRetainMetric = "es_exact";
    public static readonly IReadOnlyList<string> CalibrationForgetMetrics = ["es_exact", "es_perturb"];

    /// <summary>The options of every calibrate/&lt;name&gt; stage (the same for each unlearned model), or null when the spec does not calibrate.</summary>
    private static JsonObject? CalibrationOptions(Prepared p, JsonObject dataNode)
    {
        var spec = p.Spec;
        if (spec.Calibration is not { } calibration) return null;
        var criterion = calibration.RetainMetric;
        string criterionSplit = SpecNames.Of(calibration.RetainSplit);
        if (MetricDirection.LowerIsBetter(criterion.Metric, criterionSplit))
            throw new InvalidOperationException($"{spec.SourceFile}: calibration retain_metric '{criterion.Name}' is lower-is-better on {criterionSplit}; model mixing looks for the largest alpha " +
                                                "whose criterion stays at least fraction x the reference's, so use a higher-is-better metric (es_exact, em, rouge_l_recall...).");
        if (p.Data.Split(calibration.RetainSplit).Count == 0)
            throw new InvalidOperationException($"{spec.SourceFile}: calibration needs a non-empty {criterionSplit} split (its criterion is {criterion.Name} on {criterionSplit}).");
        var dupForget = calibration.ForgetMetrics.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (dupForget is not null || calibration.ForgetMetrics.Length == 0)
            throw new InvalidOperationException($"{spec.SourceFile}: calibration forget_metrics must list distinct metrics, at least one.");
        var calibrator = CanonicalJson.FromObject(calibration.Calibrator)!.AsObject();
        calibrator["name"] = calibration.Name;
        calibrator["type"] = calibration.Calibrator.GetType().FullName;
        var options = new JsonObject
        {
            ["calibrator"] = calibrator, ["retain_metric"] = criterion.Name,
            ["forget_metrics"] = new JsonArray(calibration.ForgetMetrics.Select(m => (JsonNode?)m.Name).ToArray()),
            ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device), ["batch_size"] = MetricEvaluation.BatchSize,
        };
        // Added only when not the default, so the keys (and stored results) of specs written before these keys stay valid.
        if (calibration.RetainSplit != SplitKind.Retain) options["retain_split"] = criterionSplit;
        ComponentVersions.AddTo(options, "calibrator_versions", [(calibration.Name, calibration.Calibrator)]);
        ComponentVersions.AddTo(options, "metric_versions", calibration.ForgetMetrics.Prepend(criterion).Select(m => (m.Name, (object)m.Metric)));
        return options;
    }

    /// <summary><c>calibrate/&lt;name&gt;</c>: mixes the target (reference) with the unlearned model of <see cref="ShapedStage.Model"/>.</summary>
    private static void AddCalibrationStage(Prepared p, ShapedStage stage, JsonObject options, IProgressSink progress)
    {
        var spec = p.Spec;
        var calibration = spec.Calibration!;
        var criterion = calibration.RetainMetric;
        string criterionSplit = SpecNames.Of(calibration.RetainSplit);
        bool withOracle = spec.Finetune.Oracle;
        string name = stage.Model!, unlearnStage = StageIds.Unlearn(name);
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Options = options.DeepClone(),
            Execute = ctx =>
            {
                var fmt = p.EngineOptions.ModelFormat;
                using var reference = LoadModel(p, ctx.Input(StageIds.Target), fmt);
                using var unlearned = LoadModel(p, ctx.Input(unlearnStage), fmt);
                using var oracle = withOracle ? LoadModel(p, ctx.Input(StageIds.Oracle), fmt) : null;
                var result = calibration.Calibrator.Calibrate(new CalibrationContext(reference, unlearned,
                    m => criterion.Metric.Compute(MetricContextFor(p, m, calibration.RetainSplit, oracle)).AggValue,
                    calibration.ForgetMetrics.ToDictionary(fm => fm.Name, fm => (Func<ICausalLM, MetricResult>)(m => fm.Metric.Compute(MetricContextFor(p, m, SplitKind.Forget, oracle))))));
                progress.Message($"  calibrate {name}: alpha {result.Alpha:F3}, {criterion.Name} on {criterionSplit} {result.RetainValue:F3} (reference {result.ReferenceRetainValue:F3}, {result.Evaluations} evaluations), " +
                                 string.Join(", ", result.Forget.Select(kv => $"forget {kv.Key} {kv.Value.AggValue:F3}")));
                new CalibrationArtifact(result).Write(ctx.Output);
            },
        });
    }

    private static IReadOnlyList<CalibrationRecord> ReadCalibrations(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        if (p.Spec.Calibration is not { } calibration) return [];
        return p.Spec.Unlearn.Select(u => new CalibrationRecord(u.Name, calibration.Name, calibration.RetainMetric.Name,
            CalibrationArtifact.Read(store.Open(keys[StageIds.Calibrate(u.Name)])).Result)).ToList();
    }
}
