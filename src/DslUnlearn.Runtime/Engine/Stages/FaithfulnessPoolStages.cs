using System.Collections.Immutable;
using DslUnlearn.Data;
using DslUnlearn.Progress;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Engine;

/// <summary>
/// OpenUnlearning's faithfulness pools (<c>meta_eval.faithfulness.seeds</c>; docs/robustness.md, "Faithfulness"). Per seed s,
/// the training chain this spec runs for its own target and oracle, run with seed s: init, the testbed's pretraining when
/// there is one, <c>finetune/target</c> (forget + retain: a positive) and <c>finetune/oracle</c> (retain only: a negative),
/// as stages <c>&lt;id&gt;@seed&lt;s&gt;</c> whose keys are those of the same stages of the spec with <c>seed: s</c>
/// (<see cref="StageDefinition.Seed"/>, <see cref="StageDefinition.KeyId"/>), so a seed sweep and the pools share them. The
/// shape (which stages, which inputs) is <see cref="StageShape"/>'s, shared with the generator's static plan. The
/// spec's own seed reuses the spec's own stages. Each pool model is evaluated on the forget split only, with the spec's metrics
/// (and the spec's oracle as the reference model, as every other model of the run).
/// </summary>
public static partial class StagedExperimentRunner
{
    /// <summary>The spec's metrics, each on the forget split only (faithfulness is measured there); metrics without forget are left out.</summary>
    private static ImmutableArray<MetricSpec> ForgetOnlyMetrics(ExperimentSpec spec)
        => [.. spec.Metrics.Where(m => m.Splits.Contains(SplitKind.Forget)).Select(m => m with { Splits = [SplitKind.Forget] })];

    /// <summary>A pool model's evaluation (<see cref="ShapedStage.Pool"/>): the spec's metrics on forget, the spec's oracle as reference when it has one.</summary>
    private static void AddPoolEvaluate(Prepared p, ShapedStage stage, JsonObject evalOptions, IProgressSink progress)
    {
        var metrics = ForgetOnlyMetrics(p.Spec);
        var options = evalOptions.DeepClone().AsObject();
        options["metrics"] = CanonicalJson.FromObject(metrics);
        string modelStage = stage.ModelStage!;
        bool withOracle = stage.ReadsOracle;
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Options = options,
            Execute = ctx =>
            {
                using var model = LoadModel(p, ctx.Input(modelStage), p.EngineOptions.ModelFormat, source: ModelOf(p, stage));
                using var oracle = withOracle ? LoadModel(p, ctx.Input(StageIds.Oracle), p.EngineOptions.ModelFormat) : null;
                var values = MetricEvaluation.Evaluate(metrics, split => MetricContextFor(p, model, split, oracle));
                progress.Message(MetricEvaluation.Describe(stage.Id["evaluate/".Length..], values));
                new EvalArtifact(values).Write(ctx.Output);
            },
        });
    }

    /// <summary>The pools' forget-split values for the report: one per (metric, seed, pool).</summary>
    private static IReadOnlyList<PoolValue> ReadFaithfulnessPools(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var values = new List<PoolValue>();
        foreach (var member in StageShape.PoolMembers(ShapeInput(p.Spec)))
            foreach (var m in EvalArtifact.Read(store.Open(keys[member.Evaluation])).Metrics.Where(m => m.Split == SplitKind.Forget))
                values.Add(new PoolValue(m.Metric, SpecNames.Of(m.Split), member.Seed, member.Knows, m.AggValue) { Size = member.Size });
        return values;
    }

    private static string SizeLabel(PoolSizeSpec size) => StageShape.SizeLabel(size.HiddenSize, size.Layers, size.IntermediateSize);

    /// <summary>The model a stage inits, trains or loads: its pool size's (<see cref="ShapedStage.Size"/>), else the spec's.</summary>
    private static RunInputs.ModelSourceInfo ModelOf(Prepared p, ShapedStage stage) => stage.Size is { } size ? p.PoolModels[size] : p.Model;

    /// <summary>
    /// meta_eval.faithfulness.sizes' model sources: the spec's <c>model:</c> with each size's overrides (so its init key is that
    /// spec's), on the run's tokenizer. Refuses what <see cref="PoolSizeRules"/> refuses (the rules the build checks at the YAML line).
    /// </summary>
    private static IReadOnlyDictionary<string, RunInputs.ModelSourceInfo> PoolModelSources(ExperimentSpec spec, RunInputs.ModelSourceInfo own)
    {
        var sources = new Dictionary<string, RunInputs.ModelSourceInfo>(StringComparer.Ordinal);
        var sizes = spec.MetaEval?.Faithfulness?.Sizes ?? [];
        if (sizes.Length == 0 || ForgetOnlyMetrics(spec).Length == 0) return sources;
        var problems = PoolSizeRules.Problems(spec.Model.HiddenSize, spec.Model.Layers, spec.Model.IntermediateSize, spec.Model.Heads, spec.Model.KvHeads,
            spec.Model.Checkpoint, [.. sizes.Select(z => (z.HiddenSize, z.Layers, z.IntermediateSize))]);
        if (problems.Count > 0)
            throw new InvalidOperationException($"{spec.SourceFile}: " + string.Join(Environment.NewLine + $"{spec.SourceFile}: ", problems.Select(q => q.Message)));
        for (int i = 0; i < sizes.Length; i++)
        {
            var z = sizes[i];
            string label = SizeLabel(z);
            var model = spec.Model with { HiddenSize = z.HiddenSize ?? spec.Model.HiddenSize, Layers = z.Layers ?? spec.Model.Layers, IntermediateSize = z.IntermediateSize ?? spec.Model.IntermediateSize };
            try
            {
                sources[label] = RunInputs.ModelSource(spec with { Model = model }, own.Tokenizer);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"{spec.SourceFile}: meta_eval.faithfulness.sizes[{i}] ({label}): {e.Message}", e);
            }
        }
        return sources;
    }
}
