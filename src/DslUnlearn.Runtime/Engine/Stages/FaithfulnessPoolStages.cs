using System.Collections.Immutable;
using System.Text.Json.Nodes;
using DslUnlearn.Data;
using DslUnlearn.Pipeline;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>
/// OpenUnlearning's faithfulness pools (<c>meta_eval.faithfulness.seeds</c>; docs/robustness.md, "Faithfulness"). Per seed s,
/// the training chain this spec runs for its own target and oracle, run with seed s: init, the testbed's pretraining when
/// there is one, <c>finetune/target</c> (forget + retain: a positive) and <c>finetune/oracle</c> (retain only: a negative),
/// as stages <c>&lt;id&gt;@seed&lt;s&gt;</c> whose keys are those of the same stages of the spec with <c>seed: s</c>
/// (<see cref="StageDefinition.Seed"/>, <see cref="StageDefinition.KeyId"/>), so a seed sweep and the pools share them. The
/// spec's own seed reuses the spec's own stages. Each pool model is evaluated on the forget split only, with the spec's metrics
/// (and the spec's oracle as the reference model, as every other model of the run).
/// </summary>
public static partial class StagedExperimentRunner
{
    /// <summary>
    /// The id of stage <paramref name="stage"/> in the chain of pool seed <paramref name="poolSeed"/>: the spec's own id for
    /// the spec's own chain (null), or for the spec's seed when the spec has that stage itself; else <c>&lt;stage&gt;@seed&lt;s&gt;</c>.
    /// </summary>
    private static string PoolId(Prepared p, string stage, int? poolSeed)
        => poolSeed is not int s || (s == p.Spec.Seed && p.Graph.Contains(stage)) ? stage : $"{stage}@seed{s}";

    /// <summary>The spec's metrics, each on the forget split only (faithfulness is measured there); metrics without forget are left out.</summary>
    private static ImmutableArray<MetricSpec> ForgetOnlyMetrics(ExperimentSpec spec)
        => [.. spec.Metrics.Where(m => m.Splits.Contains(SplitKind.Forget)).Select(m => m with { Splits = [SplitKind.Forget] })];

    /// <summary>The evaluation stage of a pool model: the spec's own evaluate/target or evaluate/oracle when that is the model, else evaluate/&lt;name&gt;@seed&lt;s&gt;.</summary>
    private static string PoolEvaluation(Prepared p, int seed, bool positive)
    {
        string name = positive ? "target" : OracleName;
        string model = PoolId(p, positive ? StageIds.Target : StageIds.Oracle, seed);
        return model == (positive ? StageIds.Target : StageIds.Oracle) && p.Graph.Contains(StageIds.Evaluate(name)) ? StageIds.Evaluate(name) : StageIds.Evaluate($"{name}@seed{seed}");
    }

    /// <summary>Adds the pools' stages; returns the evaluation stages it added (the report reads them, and the spec's own ones it reuses).</summary>
    private static IReadOnlyList<string> AddFaithfulnessPools(Prepared p, JsonObject dataNode, JsonObject evalOptions, IProgressSink progress)
    {
        var spec = p.Spec;
        if (spec.MetaEval?.Faithfulness is not { } faithfulness) return [];
        var metrics = ForgetOnlyMetrics(spec);
        if (metrics.Length == 0) return [];
        var options = evalOptions.DeepClone().AsObject();
        options["metrics"] = CanonicalJson.FromObject(metrics);
        var evaluations = new List<string>();
        foreach (int seed in faithfulness.Seeds)
        {
            if (!p.Graph.Contains(PoolId(p, StageIds.Init, seed))) AddInitStage(p, dataNode, progress, seed);
            AddPretrainStages(p, dataNode, progress, seed);
            if (!p.Graph.Contains(PoolId(p, StageIds.Target, seed))) AddTargetStage(p, dataNode, progress, seed);
            if (!p.Graph.Contains(PoolId(p, StageIds.Oracle, seed))) AddOracleStage(p, dataNode, progress, seed);
            foreach (bool positive in new[] { true, false })
            {
                string id = PoolEvaluation(p, seed, positive);
                if (p.Graph.Contains(id)) continue; // the spec's own evaluation, already an input of the report
                AddPoolEvaluate(p, id, PoolId(p, positive ? StageIds.Target : StageIds.Oracle, seed), metrics, options, progress);
                evaluations.Add(id);
            }
        }
        return evaluations;
    }

    private static void AddPoolEvaluate(Prepared p, string id, string modelStage, ImmutableArray<MetricSpec> metrics, JsonObject options, IProgressSink progress)
    {
        bool withOracle = p.Spec.Finetune.Oracle;
        p.Graph.Add(new StageDefinition
        {
            Id = id, Kind = StageKinds.Evaluate, Inputs = withOracle ? [modelStage, StageIds.Oracle] : [modelStage], Options = options.DeepClone(),
            Execute = ctx =>
            {
                using var model = LoadModel(p, ctx.Input(modelStage), p.EngineOptions.ModelFormat);
                using var oracle = withOracle ? LoadModel(p, ctx.Input(StageIds.Oracle), p.EngineOptions.ModelFormat) : null;
                var values = MetricEvaluation.Evaluate(metrics, split => MetricContextFor(p, model, split, oracle));
                progress.Message(MetricEvaluation.Describe(id["evaluate/".Length..], values));
                new EvalArtifact(values).Write(ctx.Output);
            },
        });
    }

    /// <summary>The pools' forget-split values for the report: one per (metric, seed, pool).</summary>
    private static IReadOnlyList<PoolValue> ReadFaithfulnessPools(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        if (p.Spec.MetaEval?.Faithfulness is not { } faithfulness || ForgetOnlyMetrics(p.Spec).Length == 0) return [];
        var values = new List<PoolValue>();
        foreach (int seed in faithfulness.Seeds)
            foreach (bool positive in new[] { true, false })
                foreach (var m in EvalArtifact.Read(store.Open(keys[PoolEvaluation(p, seed, positive)])).Metrics.Where(m => m.Split == SplitKind.Forget))
                    values.Add(new PoolValue(m.Metric, SpecNames.Of(m.Split), seed, positive, m.AggValue));
        return values;
    }
}
