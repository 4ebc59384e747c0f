using System.Text.Json.Nodes;
using DslUnlearn.Attacks;
using DslUnlearn.Calibration;
using DslUnlearn.Data;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Pipeline;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>
/// The red-teaming and calibration stages of a staged run.
/// <list type="bullet">
/// <item><c>attack/&lt;model&gt;/&lt;attack&gt;</c>: for the target and every unlearned model and every attack pipeline of the
/// spec, applies the pipeline (one attack, or an <see cref="AttackChain"/>) and evaluates every metric of the spec on
/// the attacked model with the attack's input transform. Attack and evaluation are one stage, so views such as a
/// probe read-out are never stored; only the metric values are.</item>
/// <item><c>calibrate/&lt;model&gt;</c>: model mixing of the target (reference) and an unlearned model: the alpha
/// reached, the retain ES there, the forget ES exact and ES perturb at that alpha, and the alpha curve.</item>
/// </list>
/// </summary>
public static partial class StagedExperimentRunner
{
    /// <summary>Attacks draw their randomness (relearning order, noise, in-context picks) from seed + this.</summary>
    public const int AttackSeedOffset = 2;
    /// <summary>The calibration's default retain criterion (on the retain split) and forget metrics; a spec names its own in CalibrationSpec.</summary>
    public const string CalibrationRetainMetric = "es_exact";
    public static readonly IReadOnlyList<string> CalibrationForgetMetrics = ["es_exact", "es_perturb"];

    /// <summary>The models every attack pipeline is applied to: the target, then each unlearned model (name, model stage, kind, method).</summary>
    private static IEnumerable<(string Name, string Stage, string? Method)> AttackedModels(ExperimentSpec spec)
        => new[] { ("target", "finetune/target", (string?)null) }
            .Concat(spec.Finetune.Oracle ? [(OracleName, OracleStage, (string?)null)] : [])
            .Concat(spec.Unlearn.Select(u => (u.Name, $"unlearn/{u.Name}", (string?)u.MethodName)));

    private static IReadOnlyList<string> AddAttackStages(Prepared p, JsonObject evalOptions, IProgressSink progress)
    {
        var spec = p.Spec;
        if (spec.Attacks.Length == 0) return [];
        var dup = spec.Attacks.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new InvalidOperationException($"{spec.SourceFile}: two attack pipelines are named '{dup.Key}'; give each a distinct `name:`.");
        var ids = new List<string>();
        foreach (var (model, modelStage, method) in AttackedModels(spec))
            foreach (var a in spec.Attacks)
            {
                string id = $"attack/{model}/{a.Name}";
                var options = evalOptions.DeepClone().AsObject();
                options["attack"] = new JsonArray(a.Chain.Select(step =>
                {
                    var node = CanonicalJson.FromObject(step.Attack)!.AsObject();
                    node["name"] = step.Name;
                    node["type"] = step.Attack.GetType().FullName;
                    return (JsonNode?)node;
                }).ToArray());
                options["seed_offset"] = AttackSeedOffset;
                options["finetune_lr"] = CanonicalJson.FromObject(spec.Finetune.Lr);
                bool withOracle = spec.Finetune.Oracle;
                p.Graph.Add(new StageDefinition
                {
                    Id = id, Kind = "attack", Inputs = withOracle && modelStage != OracleStage ? [modelStage, OracleStage] : [modelStage], Options = options,
                    Execute = ctx =>
                    {
                        using var target = LoadModel(p, ctx.Input(modelStage), p.EngineOptions.ModelFormat);
                        using var oracle = withOracle ? LoadModel(p, ctx.Input(OracleStage), p.EngineOptions.ModelFormat) : null;
                        IAttack attack = a.Chain.Length == 1 ? a.Chain[0].Attack : new AttackChain(a.Chain.Select(s => s.Attack).ToList());
                        var result = attack.Apply(new AttackContext(target, p.Data, p.Encoder, p.Device, (ulong)spec.Seed + AttackSeedOffset, spec.Finetune.Lr));
                        try
                        {
                            var values = EvaluateMetrics(p, result.Model, result.InputTransform, oracle);
                            progress.Message($"  {model}+{a.Name} " + string.Join("  ", values.Select(v => $"{v.Metric}/{SpecNames.Of(v.Split)} {v.Mean:F3}")));
                            WriteEval(ctx.Output, values);
                        }
                        finally
                        {
                            if (!ReferenceEquals(result.Model, target)) result.Model.Dispose();
                        }
                    },
                });
                ids.Add(id);
            }
        return ids;
    }

    private static IReadOnlyList<string> AddCalibrationStages(Prepared p, JsonObject dataNode, IProgressSink progress)
    {
        var spec = p.Spec;
        if (spec.Calibration is not { } calibration) return [];
        var criterion = calibration.RetainMetric;
        string criterionSplit = SpecNames.Of(calibration.RetainSplit);
        if (MetricDirection.LowerIsBetter(criterion.Name))
            throw new InvalidOperationException($"{spec.SourceFile}: calibration retain_metric '{criterion.Name}' is lower-is-better; model mixing looks for the largest alpha " +
                                                "whose criterion stays at least fraction x the reference's, so use a higher-is-better metric (es_exact, em, rouge_l_recall...).");
        if (p.Data.Split(calibration.RetainSplit).Count == 0)
            throw new InvalidOperationException($"{spec.SourceFile}: calibration needs a non-empty {criterionSplit} split (its criterion is {criterion.Name} on {criterionSplit}).");
        var dupForget = calibration.ForgetMetrics.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (dupForget is not null || calibration.ForgetMetrics.Length == 0)
            throw new InvalidOperationException($"{spec.SourceFile}: calibration forget_metrics must list distinct metrics, at least one.");
        var calibrator = CanonicalJson.FromObject(calibration.Calibrator)!.AsObject();
        calibrator["name"] = calibration.Name;
        calibrator["type"] = calibration.Calibrator.GetType().FullName;
        bool withOracle = spec.Finetune.Oracle;
        var ids = new List<string>();
        foreach (var u in spec.Unlearn)
        {
            string id = $"calibrate/{u.Name}", unlearnStage = $"unlearn/{u.Name}";
            var options = new JsonObject
            {
                ["calibrator"] = calibrator.DeepClone(), ["retain_metric"] = criterion.Name,
                ["forget_metrics"] = new JsonArray(calibration.ForgetMetrics.Select(m => (JsonNode?)m.Name).ToArray()),
                ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device), ["batch_size"] = ExperimentRunner.EvalBatchSize,
            };
            // Added only when not the default, so the keys (and stored results) of specs written before these keys stay valid.
            if (calibration.RetainSplit != SplitKind.Retain) options["retain_split"] = criterionSplit;
            p.Graph.Add(new StageDefinition
            {
                Id = id, Kind = "calibrate", Inputs = withOracle ? ["finetune/target", unlearnStage, OracleStage] : ["finetune/target", unlearnStage],
                Options = options,
                Execute = ctx =>
                {
                    var fmt = p.EngineOptions.ModelFormat;
                    using var reference = LoadModel(p, ctx.Input("finetune/target"), fmt);
                    using var unlearned = LoadModel(p, ctx.Input(unlearnStage), fmt);
                    using var oracle = withOracle ? LoadModel(p, ctx.Input(OracleStage), fmt) : null;
                    MetricContext On(ICausalLM m, SplitKind split) => MetricContext.ForSplit(m, p.Encoder, p.Data, split, p.Device, ExperimentRunner.EvalBatchSize, oracle);
                    var result = calibration.Calibrator.Calibrate(new CalibrationContext(reference, unlearned,
                        m => criterion.Metric.Compute(On(m, calibration.RetainSplit)).AggValue,
                        calibration.ForgetMetrics.ToDictionary(fm => fm.Name, fm => (Func<ICausalLM, MetricResult>)(m => fm.Metric.Compute(On(m, SplitKind.Forget))))));
                    progress.Message($"  calibrate {u.Name}: alpha {result.Alpha:F3}, {criterion.Name} on {criterionSplit} {result.RetainValue:F3} (reference {result.ReferenceRetainValue:F3}, {result.Evaluations} evaluations), " +
                                     string.Join(", ", result.Forget.Select(kv => $"forget {kv.Key} {kv.Value.AggValue:F3}")));
                    ctx.Output.WriteJson("calibration.json", CalibrationToJson(result));
                },
            });
            ids.Add(id);
        }
        return ids;
    }

    private static List<MetricValues> EvaluateMetrics(Prepared p, ICausalLM model, Func<QaExample, QaExample>? transform, ICausalLM? reference = null)
    {
        var values = new List<MetricValues>();
        foreach (var m in p.Spec.Metrics)
            foreach (var split in m.Splits)
            {
                var result = m.Metric.Compute(MetricContext.ForSplit(model, p.Encoder, p.Data, split, p.Device, ExperimentRunner.EvalBatchSize, reference, transform));
                // An aggregate-only metric (forget_quality, privleak) is kept as one value, so its mean is the aggregate.
                values.Add(new MetricValues(m.Name, split, result.ValueByIndex ?? [result.AggValue]));
            }
        return values;
    }

    /// <summary>eval.json: [{metric, split, values: [bits]}], exactly as evaluate/* stores it.</summary>
    private static void WriteEval(ArtifactWriter output, IReadOnlyList<MetricValues> values)
        => output.WriteJson("eval.json", values.Select(m => new JsonObject
        {
            ["metric"] = m.Metric, ["split"] = SpecNames.Of(m.Split),
            ["values"] = new JsonArray(m.Values.Select(v => (JsonNode?)LoopState.Bits(v)).ToArray()),
        }).ToList());

    private static ModelEvaluation ReadEvalFile(Artifact artifact, string name, string kind, string? method)
    {
        var items = JsonNode.Parse(artifact.ReadText("eval.json"))!.AsArray();
        return new ModelEvaluation(name, kind, method, items.Select(i => new MetricValues(
            i!["metric"]!.GetValue<string>(),
            Enum.GetValues<SplitKind>().First(s => SpecNames.Of(s) == i!["split"]!.GetValue<string>()),
            i!["values"]!.AsArray().Select(v => LoopState.Double(v)).ToList())).ToList());
    }

    /// <summary>Doubles as bit patterns, so the report reads back exactly what was computed.</summary>
    private static JsonObject CalibrationToJson(CalibrationResult r)
    {
        static JsonObject Metric(MetricResult m) => new()
        {
            ["agg_value"] = LoopState.Bits(m.AggValue),
            ["values"] = m.ValueByIndex is { } v ? new JsonArray(v.Select(x => (JsonNode?)LoopState.Bits(x)).ToArray()) : null,
        };
        var forget = new JsonObject();
        foreach (var (name, value) in r.Forget) forget[name] = Metric(value);
        return new JsonObject
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
        };
    }

    private static CalibrationResult CalibrationFromJson(JsonNode n)
    {
        var forget = n["forget"]!.AsObject().ToDictionary(kv => kv.Key, kv => new MetricResult(LoopState.Double(kv.Value!["agg_value"]),
            kv.Value!["values"] is JsonArray a ? a.Select(x => LoopState.Double(x)).ToList() : null));
        var curve = n["curve"]!.AsArray().Select(c => new CalibrationPoint(LoopState.Double(c!["alpha"]), LoopState.Double(c["retain"]),
            c["forget"]!.AsObject().ToDictionary(kv => kv.Key, kv => LoopState.Double(kv.Value)))).ToList();
        return new CalibrationResult(LoopState.Double(n["alpha"]), LoopState.Double(n["retain_value"]), LoopState.Double(n["reference_retain_value"]),
            n["evaluations"]!.GetValue<int>(), forget, curve);
    }

    private static IReadOnlyList<AttackedEvaluation> ReadAttacked(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var list = new List<AttackedEvaluation>();
        foreach (var a in p.Spec.Attacks)
            foreach (var (model, _, method) in AttackedModels(p.Spec))
                list.Add(new AttackedEvaluation(a.Name, a.Chain.Select(s => s.Name).ToList(), model,
                    ReadEvalFile(store.Open(keys[$"attack/{model}/{a.Name}"]), model, "attacked", method)));
        return list;
    }

    private static IReadOnlyList<CalibrationRecord> ReadCalibrations(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        if (p.Spec.Calibration is not { } calibration) return [];
        return p.Spec.Unlearn.Select(u => new CalibrationRecord(u.Name, calibration.Name, calibration.RetainMetric.Name,
            CalibrationFromJson(JsonNode.Parse(store.Open(keys[$"calibrate/{u.Name}"]).ReadText("calibration.json"))!))).ToList();
    }

    /// <summary>Trade-off curve, calibrated columns and before/after robustness points for the tables and plots.</summary>
    private static ReportInput WithAttacksAndCalibration(Prepared p, RunRecord record, ReportInput input)
    {
        int seed = p.Spec.Seed;
        var tradeoff = new List<TradeoffPoint>();
        var calibrated = new List<CalibratedValue>();
        var spec = p.Spec.Calibration;
        var forgetNames = spec?.ForgetMetrics.Select(m => m.Name).ToList() ?? [.. CalibrationForgetMetrics];
        // The trade-off plot shows ES exact on forget when calibration reports it, else its first forget metric.
        string curveMetric = forgetNames.Contains("es_exact") ? "es_exact" : forgetNames[0];
        string criterionSplit = SpecNames.Of(spec?.RetainSplit ?? SplitKind.Retain);
        foreach (var c in record.Calibrations)
        {
            var r = c.Result;
            tradeoff.AddRange(r.Curve.Select(pt => new TradeoffPoint(c.Model, seed, pt.Alpha, pt.Forget.TryGetValue(curveMetric, out var f) ? f : double.NaN, pt.Retain)));
            foreach (var name in forgetNames)
                if (r.Forget.TryGetValue(name, out var v)) calibrated.Add(new CalibratedValue(c.Model, seed, r.Alpha, name, "forget", v.AggValue));
            calibrated.Add(new CalibratedValue(c.Model, seed, r.Alpha, c.RetainMetric, criterionSplit, r.RetainValue));
        }
        var robustness = new List<Reporting.RobustnessPoint>();
        var oraclePoints = new List<Reporting.RobustnessPoint>();
        foreach (var a in record.Attacked)
        {
            var before = record.Models.First(m => m.Name == a.Model);
            // The oracle is a reference, not one of the studied models: its points feed only the relearning score R.
            var into = a.Model == OracleName && p.Spec.Finetune.Oracle ? oraclePoints : robustness;
            foreach (var after in a.Evaluation.Metrics)
                if (before.Get(after.Metric, after.Split) is { } b && !double.IsNaN(b.Mean) && !double.IsNaN(after.Mean))
                    into.Add(new Reporting.RobustnessPoint(after.Metric, a.Attack, SpecNames.Of(after.Split), a.Model, b.Mean, after.Mean));
        }
        var preserves = p.Spec.Attacks.ToDictionary(a => a.Name, a => a.Chain.All(s => Components.ComponentFacts.PreservesKnowledge(s.Attack)));
        var chains = p.Spec.Attacks.ToDictionary(a => a.Name, a => (IReadOnlyList<string>)a.Chain.Select(s => s.Name).ToList());
        return input with
        {
            Tradeoff = tradeoff, Calibrated = calibrated, Robustness = robustness, AttackPreservesKnowledge = preserves,
            AttackChains = chains, UnlearnedModels = p.Spec.Unlearn.Select(u => u.Name).ToList(), OraclePoints = oraclePoints,
        };
    }
}
