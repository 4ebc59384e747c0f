using DslUnlearn.Data;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>
/// eval.json of <c>evaluate/*</c> and <c>attack/*</c> stages: per metric and split the metric's own aggregate and its
/// per-sample values, as bit patterns (the report reads back exactly what was computed). The one reader and writer.
/// </summary>
public sealed record EvalArtifact(IReadOnlyList<MetricValues> Metrics)
{
    public const string FileName = "eval.json";
    /// <summary>Enters evaluation stage keys. 2: agg_value stored (before, only values were, and tables showed their mean).</summary>
    public const int FormatVersion = 2;

    public void Write(ArtifactWriter output) => output.WriteJson(FileName, Metrics.Select(m => new JsonObject
    {
        ["metric"] = m.Metric, ["split"] = SpecNames.Of(m.Split), ["agg_value"] = LoopState.Bits(m.AggValue),
        ["values"] = new JsonArray(m.Values.Select(v => (JsonNode?)LoopState.Bits(v)).ToArray()),
    }).ToList());

    public static EvalArtifact Read(Artifact artifact)
        => new(JsonNode.Parse(artifact.ReadText(FileName))!.AsArray().Select(i => new MetricValues(
            i!["metric"]!.GetValue<string>(),
            Enum.GetValues<SplitKind>().First(s => SpecNames.Of(s) == i["split"]!.GetValue<string>()),
            i["values"]!.AsArray().Select(v => LoopState.Double(v)).ToList(),
            LoopState.Double(i["agg_value"] ?? throw new InvalidDataException($"{artifact.PathOf(FileName)} has no agg_value (written before eval format {FormatVersion}).")))).ToList());

    public ModelEvaluation ToModel(string name, string kind, string? method) => new(name, kind, method, Metrics);
}

/// <summary><c>evaluate/&lt;model&gt;</c>: every metric of the spec on its splits (with the oracle as reference model when there is one).</summary>
public static partial class StagedExperimentRunner
{
    /// <summary>
    /// The one place a metric context is built, for every stage that evaluates metrics (evaluate, attack, calibrate):
    /// the split's examples, the holdout and auxiliary splits, the reference model, the attack's input transform.
    /// </summary>
    private static MetricContext MetricContextFor(Prepared p, ICausalLM model, SplitKind split, ICausalLM? reference, Func<QaExample, QaExample>? transform = null)
        => MetricContext.ForSplit(model, p.Encoder, p.Data, split, p.Device, MetricEvaluation.BatchSize, reference, transform);

    private static List<MetricValues> EvaluateMetrics(Prepared p, ICausalLM model, Func<QaExample, QaExample>? transform, ICausalLM? reference)
        => MetricEvaluation.Evaluate(p.Spec.Metrics, split => MetricContextFor(p, model, split, reference, transform));

    /// <summary>Whether a metric of the spec reads the reference model (its <c>Needs</c> has Oracle: forget_quality, mia_reference,
    /// privleak); the others never look at it, so evaluation and attack stages load the oracle only then (it stays their input).</summary>
    private static bool MetricsNeedOracle(Prepared p)
        => p.Spec.Metrics.Any(m => MetricNeedsCheck.NeedsOf(m.Metric).HasFlag(Components.MetricNeeds.Oracle));

    /// <summary>The options of every evaluation stage (attack stages add theirs): metrics and their versions, data, device, batch, eval.json format.</summary>
    private static JsonObject EvaluationOptions(Prepared p, JsonObject dataNode)
    {
        var options = new JsonObject
        {
            ["metrics"] = CanonicalJson.FromObject(p.Spec.Metrics), ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device),
            ["batch_size"] = MetricEvaluation.BatchSize, ["eval_format"] = EvalArtifact.FormatVersion,
        };
        ComponentVersions.AddTo(options, "metric_versions", p.Spec.Metrics.Select(m => (m.Name, (object)m.Metric)));
        return options;
    }

    private static void AddEvaluate(Prepared p, ShapedStage stage, JsonObject options, IProgressSink progress)
    {
        // With an oracle, every metric gets it as its reference model (forget_quality needs one); the oracle's own evaluation uses itself.
        string name = stage.Model!, modelStage = stage.ModelStage!;
        bool withOracle = p.Spec.Finetune.Oracle;
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs,
            Options = options.DeepClone(),
            Execute = ctx =>
            {
                using var model = LoadModel(p, ctx.Input(modelStage), p.EngineOptions.ModelFormat);
                using var oracle = withOracle && MetricsNeedOracle(p) ? LoadModel(p, ctx.Input(StageIds.Oracle), p.EngineOptions.ModelFormat) : null;
                var values = EvaluateMetrics(p, model, null, oracle);
                progress.Message(MetricEvaluation.Describe(name, values));
                new EvalArtifact(values).Write(ctx.Output);
            },
        });
    }

    /// <param name="training">Keep the stored float32 weights (training stages make their own 16-bit twin); else the model comes in the spec's compute dtype.</param>
    /// <param name="source">The model's source when it is not the spec's (a faithfulness pool size, <see cref="ModelOf"/>).</param>
    private static ICausalLM LoadModel(Prepared p, Artifact artifact, IModelArtifactFormat fmt, bool training = false, RunInputs.ModelSourceInfo? source = null)
    {
        var model = (source ?? p.Model).CreateEmpty();
        try
        {
            using (var f = File.OpenRead(artifact.PathOf(fmt.FileName))) fmt.Load(model.Module, f);
            model.Module.to(p.Device);
            if (!training) ForCompute(p, model);
            model.Module.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
