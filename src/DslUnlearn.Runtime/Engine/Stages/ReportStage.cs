using DslUnlearn.Methods;
using DslUnlearn.Metrics;
using DslUnlearn.Reporting;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Engine;

/// <summary>
/// <c>report</c>: results.json, summary.md, tables and plots, rendered by <see cref="ReportBuilder"/> from the stored
/// artifacts of every other stage (each read by its artifact record). Always rebuilt by `dslunlearn report`.
/// </summary>
public static partial class StagedExperimentRunner
{
    private static void AddReportStage(Prepared p, ShapedStage stage)
    {
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, IsReport = true,
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

    private static ReportInput LoadReportInput(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var record = LoadRecord(p, store, keys);
        var trajectories = new List<TrajectoryPoint>();
        foreach (var u in p.Spec.Unlearn)
            trajectories.AddRange(UnlearnArtifact.Read(store.Open(keys[StageIds.Unlearn(u.Name)])).Trajectory
                .Select(t => new TrajectoryPoint(u.Name, p.Spec.Seed, t.Step, t.ForgetEs, t.RetainEs)));
        return WithAttacksAndCalibration(p, record, new ReportInput { Runs = [record], Trajectories = trajectories, FaithfulnessPools = ReadFaithfulnessPools(p, store, keys) });
    }

    /// <summary>The run record (what results.json is written from), rebuilt from stored artifacts.</summary>
    private static RunRecord LoadRecord(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var spec = p.Spec;
        var meta = ModelMeta.Read(store.Open(keys[StageIds.Target]));
        ModelEvaluation Eval(string name, string kind, string? method) => EvalArtifact.Read(store.Open(keys[StageIds.Evaluate(name)])).ToModel(name, kind, method);
        var models = new List<ModelEvaluation> { Eval("untrained", "untrained", null), Eval("target", "target", null) };
        if (spec.Finetune.Oracle) models.Add(Eval(OracleName, OracleName, null));
        var logs = new Dictionary<string, IReadOnlyList<UnlearningLoop.StepLog>>();
        foreach (var u in spec.Unlearn)
        {
            logs[u.Name] = UnlearnArtifact.Read(store.Open(keys[StageIds.Unlearn(u.Name)])).Log;
            models.Add(Eval(u.Name, "unlearned", u.MethodName));
        }
        return new RunRecord(spec, p.Data, meta.Parameters, meta.FinalLoss ?? double.NaN, models, logs)
        {
            Attacked = ReadAttacked(p, store, keys),
            Calibrations = ReadCalibrations(p, store, keys),
            ModelDescription = p.Model.Summary,
        };
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
                if (r.Forget.TryGetValue(name, out var v)) calibrated.Add(new CalibratedValue(c.Model, seed, r.Alpha, name, "forget", v.AggValue) { Samples = v.ValueByIndex ?? [] });
            calibrated.Add(new CalibratedValue(c.Model, seed, r.Alpha, c.RetainMetric, criterionSplit, r.RetainValue));
        }
        var robustness = new List<RobustnessPoint>();
        var oraclePoints = new List<RobustnessPoint>();
        foreach (var a in record.Attacked)
        {
            var before = record.Models.First(m => m.Name == a.Model);
            // The oracle is a reference, not one of the studied models: its points feed only the relearning score R.
            var into = a.Model == OracleName && p.Spec.Finetune.Oracle ? oraclePoints : robustness;
            foreach (var after in a.Evaluation.Metrics)
                if (before.Get(after.Metric, after.Split) is { } b && double.IsFinite(b.AggValue) && double.IsFinite(after.AggValue))
                    into.Add(new RobustnessPoint(after.Metric, a.Attack, SpecNames.Of(after.Split), a.Model, b.AggValue, after.AggValue));
        }
        var preserves = p.Spec.Attacks.ToDictionary(a => a.Name, a => a.Chain.All(s => Attacks.AttackFacts.PreservesKnowledge(s.Attack)));
        var chains = p.Spec.Attacks.ToDictionary(a => a.Name, a => (IReadOnlyList<string>)a.Chain.Select(s => s.Name).ToList());
        return input with
        {
            Tradeoff = tradeoff, Calibrated = calibrated, Robustness = robustness, AttackPreservesKnowledge = preserves,
            AttackChains = chains, UnlearnedModels = p.Spec.Unlearn.Select(u => u.Name).ToList(), OraclePoints = oraclePoints,
        };
    }
}
