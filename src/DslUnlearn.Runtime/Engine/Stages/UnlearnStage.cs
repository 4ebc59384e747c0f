using DslUnlearn.Methods;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Specs;
using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>ES exact on forget and retain after <paramref name="Step"/> optimizer steps of an unlearning run (step 0 = the target).</summary>
public sealed record TrajectoryStep(int Step, double ForgetEs, double RetainEs)
{
    public JsonObject ToJson() => new() { ["step"] = Step, ["forget_es"] = Finite(ForgetEs), ["retain_es"] = Finite(RetainEs) };

    public static TrajectoryStep FromJson(JsonNode n)
        => new(n["step"]!.GetValue<int>(), n["forget_es"]?.GetValue<double>() ?? double.NaN, n["retain_es"]?.GetValue<double>() ?? double.NaN);

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}

/// <summary>
/// What an <c>unlearn/&lt;name&gt;</c> stage stores besides the weights: log.json (per step loss, forget and retain NLL, as
/// bit patterns) and trajectory.json (<see cref="TrajectoryStep"/>s). The one reader and writer of both files.
/// </summary>
public sealed record UnlearnArtifact(IReadOnlyList<UnlearningLoop.StepLog> Log, IReadOnlyList<TrajectoryStep> Trajectory)
{
    public const string LogFile = "log.json", TrajectoryFile = "trajectory.json";

    public void Write(ArtifactWriter output)
    {
        output.WriteJson(LogFile, Log.Select(l => new JsonObject
        {
            ["step"] = l.Step, ["loss"] = LoopState.Bits(l.Loss), ["forget_nll"] = LoopState.Bits(l.ForgetNll), ["retain_nll"] = LoopState.Bits(l.RetainNll),
        }).ToList());
        output.WriteJson(TrajectoryFile, new JsonArray(Trajectory.Select(t => (JsonNode?)t.ToJson()).ToArray()));
    }

    public static UnlearnArtifact Read(Artifact artifact)
    {
        var log = JsonNode.Parse(artifact.ReadText(LogFile))!.AsArray().Select(l => new UnlearningLoop.StepLog(l!["step"]!.GetValue<int>(),
            LoopState.Double(l["loss"]), LoopState.Double(l["forget_nll"]), LoopState.Double(l["retain_nll"]))).ToList();
        var trajectory = JsonNode.Parse(artifact.ReadText(TrajectoryFile))!.AsArray().Select(t => TrajectoryStep.FromJson(t!)).ToList();
        return new UnlearnArtifact(log, trajectory);
    }
}

/// <summary><c>unlearn/&lt;name&gt;</c>: one unlearning run from the target, resumable; records the ES trajectory at <see cref="TrajectoryPoints"/> steps.</summary>
public static partial class StagedExperimentRunner
{
    public const int TrajectoryPoints = 5;

    private static void AddUnlearnStage(Prepared p, ShapedStage stage, UnlearnSpec u, JsonObject dataNode, IProgressSink progress)
    {
        var spec = p.Spec;
        var method = u.Method;
        var fmt = p.EngineOptions.ModelFormat;
        int padId = p.Encoder.Tokenizer.PadId;
        var methodNode = CanonicalJson.FromObject(method)!.AsObject();
        methodNode["type"] = method.GetType().FullName;
        methodNode["options"]?.AsObject().Remove("name"); // a label: renaming reuses the artifact
        methodNode["options"]?.AsObject().Remove("gradient_checkpointing"); // how, not what: same numbers
        int total = method.Options.TotalSteps(p.Forget.Length);
        int every = Math.Max(1, (total + TrajectoryPoints - 1) / TrajectoryPoints);
        var options = new JsonObject { ["method"] = methodNode, ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device), ["seed_offset"] = 1, ["trajectory_every"] = every };
        ComponentVersions.AddTo(options, "method_versions", [(u.MethodName, method)]);
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Options = options,
            Execute = ctx =>
            {
                using var model = LoadModel(p, ctx.Input(stage.ModelStage!), fmt, training: true);
                StoreCheckpointer? ckpt = null;
                // The trajectory lives in the checkpoint's extra state, so a resumed run continues it.
                void Record(int step, ICausalLM m)
                {
                    if (step != 0 && step % every != 0 && step != total) return;
                    using var view = ComputeView(p, m); // a 16-bit spec measures its trajectory in 16-bit too
                    m = view ?? m;
                    double f = Evaluator.Evaluate(m, p.Forget, MetricEvaluation.BatchSize, p.Device, padId).EsExact.Average();
                    double r = p.RetainEval.Length == 0 ? double.NaN : Evaluator.Evaluate(m, p.RetainEval, MetricEvaluation.BatchSize, p.Device, padId).EsExact.Average();
                    var list = ckpt!.Extra["trajectory"] as JsonArray ?? (JsonArray)(ckpt.Extra["trajectory"] = new JsonArray());
                    list.Add(new TrajectoryStep(step, f, r).ToJson());
                }
                ckpt = ctx.Checkpointer(Record);
                Record(0, model);
                var log = UnlearningLoop.Run(model, method, p.Forget, p.RetainTrain, (ulong)spec.Seed + 1, p.Device, progress, $"unlearn {u.Name}", padId, ctx.Cancellation, p.Encoder.Tokenizer, checkpointer: ckpt, compute: ComputeDtype(spec));
                ctx.ResumedFromStep = ckpt.ResumedFromStep;
                ctx.Output.WriteFile(fmt.FileName, s => fmt.Save(model.Module, s));
                var trajectory = (ckpt.Extra["trajectory"] as JsonArray ?? []).Select(t => TrajectoryStep.FromJson(t!)).ToList();
                new UnlearnArtifact(log, trajectory).Write(ctx.Output);
            },
        });
    }
}
