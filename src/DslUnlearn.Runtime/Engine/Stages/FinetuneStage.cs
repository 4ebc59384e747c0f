using DslUnlearn.Models;
using DslUnlearn.Progress;
using DslUnlearn.Specs;
using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>
/// <c>finetune/target</c> (on forget and every retain row: retain-train and retain-eval, never the holdout) and <c>finetune/oracle</c>
/// (on those retain rows only, when <c>finetune.oracle</c>):
/// the fine-tuned weights and their <see cref="ModelMeta"/> with the final loss. Resumable from training checkpoints.
/// </summary>
public static partial class StagedExperimentRunner
{
    /// <summary>The oracle's name in tables, results.json and stage ids.</summary>
    public const string OracleName = StageIds.OracleName;
    public const string OracleStage = StageIds.Oracle;

    /// <summary>
    /// The fine-tuning settings that shape a fine-tuned model. <c>oracle</c> is left out: it adds a stage, it does not
    /// change the target, so turning it on reuses the stored target.
    /// </summary>
    private static JsonNode FinetuneNode(ExperimentSpec spec)
    {
        var node = CanonicalJson.FromObject(spec.Finetune)!.AsObject();
        node.Remove("oracle");
        node.Remove("gradient_checkpointing"); // how, not what: the same model either way
        return node.WithoutKeyNeutralDefaults("finetune");
    }

    private static void AddTargetStage(Prepared p, ShapedStage stage, JsonObject dataNode, IProgressSink progress)
    {
        var spec = p.Spec;
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Seed = stage.Seed, KeyId = stage.KeyId,
            Options = new JsonObject { ["finetune"] = FinetuneNode(spec), ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device) },
            Execute = ctx => RunFinetune(p, ctx, stage, (model, ckpt) => Finetuner.Train(model, p.Forget.Concat(p.FinetuneRetain).ToArray(), spec.Finetune, (ulong)(stage.Seed ?? spec.Seed),
                p.Device, progress, stage.Id.Replace('/', ' '), p.Encoder.Tokenizer.PadId, ctx.Cancellation, ckpt, ComputeDtype(spec))),
        });
    }

    private static void AddOracleStage(Prepared p, ShapedStage stage, JsonObject dataNode, IProgressSink progress)
    {
        var spec = p.Spec;
        if (p.FinetuneRetain.Length == 0)
            throw new InvalidOperationException($"{spec.SourceFile}: finetune.oracle is true, but the retain split is empty and the oracle is fine-tuned on it only; " +
                                                "give the data fewer forget authors or set oracle: false.");
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Seed = stage.Seed, KeyId = stage.KeyId,
            Options = new JsonObject
            {
                ["finetune"] = FinetuneNode(spec), ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device), ["rows"] = "retain",
            },
            Execute = ctx => RunFinetune(p, ctx, stage, (model, ckpt) => Finetuner.TrainOracle(model, p.FinetuneRetain, spec.Finetune, (ulong)(stage.Seed ?? spec.Seed), p.Device, progress,
                p.Encoder.Tokenizer.PadId, stage.Id.Replace('/', ' '), ctx.Cancellation, ckpt, ComputeDtype(spec))),
        });
    }

    /// <summary>The body of a fine-tuning stage: load the model of the stage's first input (init/model, or a testbed's pretrained base; of the stage's size), train (resumable), store the weights and meta.json with the final loss.</summary>
    private static void RunFinetune(Prepared p, StageContext ctx, ShapedStage stage, Func<ICausalLM, StoreCheckpointer, double> train)
    {
        var fmt = p.EngineOptions.ModelFormat;
        var init = ctx.Input(stage.ModelStage!);
        using var model = LoadModel(p, init, fmt, training: true, ModelOf(p, stage));
        var ckpt = ctx.Checkpointer();
        double loss = train(model, ckpt);
        ctx.ResumedFromStep = ckpt.ResumedFromStep;
        ctx.Output.WriteFile(fmt.FileName, s => fmt.Save(model.Module, s));
        (ModelMeta.Read(init) with { FinalLoss = loss }).Write(ctx.Output);
    }
}
