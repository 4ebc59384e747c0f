using System.Text.Json.Nodes;
using DslUnlearn.Models;
using DslUnlearn.Pipeline;
using DslUnlearn.Specs;
using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>
/// The oracle (retain-only) model of a staged run, when the spec sets <c>finetune.oracle: true</c>:
/// <c>finetune/oracle</c> fine-tunes the initial model exactly like the target (same settings and seed) on the retain
/// split only, so it never saw the forget set. It is evaluated (row "oracle"), attacked like the other models, passed
/// to every metric as <see cref="Metrics.MetricContext.Reference"/> (forget_quality compares truth ratios against it),
/// and is the "retain model" of OpenUnlearning's relearning score R in the robustness report.
/// </summary>
public static partial class StagedExperimentRunner
{
    /// <summary>The oracle's name in tables, results.json and stage ids.</summary>
    public const string OracleName = "oracle";
    public const string OracleStage = "finetune/oracle";

    /// <summary>
    /// The fine-tuning settings that shape a fine-tuned model. <c>oracle</c> is left out: it adds a stage, it does not
    /// change the target, so turning it on reuses the stored target.
    /// </summary>
    private static JsonNode FinetuneNode(ExperimentSpec spec)
    {
        var node = CanonicalJson.FromObject(spec.Finetune)!.AsObject();
        node.Remove("oracle");
        return node;
    }

    private static void AddOracleStage(Prepared p, JsonObject dataNode, IProgressSink progress)
    {
        var spec = p.Spec;
        if (!spec.Finetune.Oracle) return;
        if (p.Retain.Length == 0)
            throw new InvalidOperationException($"{spec.SourceFile}: finetune.oracle is true, but the retain split is empty and the oracle is fine-tuned on it only; " +
                                                "give the data fewer forget authors or set oracle: false.");
        p.Graph.Add(new StageDefinition
        {
            Id = OracleStage, Kind = "finetune", Inputs = [OracleBase(p)],
            Options = new JsonObject
            {
                ["finetune"] = FinetuneNode(spec), ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device), ["rows"] = "retain",
            },
            Execute = ctx =>
            {
                RunFinetune(p, ctx, OracleBase(p), (model, ckpt) => Finetuner.TrainOracle(model, p.Retain, spec.Finetune, (ulong)spec.Seed, p.Device, progress,
                    p.Encoder.Tokenizer.PadId, "finetune oracle", ctx.Cancellation, ckpt));
            },
        });
    }

    /// <summary>The body of a fine-tuning stage: load the model of stage <paramref name="from"/> (init/model, or a testbed's pretrained base), train (resumable), store the weights and meta.json with the final loss.</summary>
    private static void RunFinetune(Prepared p, StageContext ctx, string from, Func<ICausalLM, StoreCheckpointer, double> train)
    {
        var fmt = p.EngineOptions.ModelFormat;
        var init = ctx.Input(from);
        using var model = LoadModel(p, init, fmt);
        var ckpt = ctx.Checkpointer();
        double loss = train(model, ckpt);
        ctx.ResumedFromStep = ckpt.ResumedFromStep;
        ctx.Output.WriteFile(fmt.FileName, s => fmt.Save(model.Module, s));
        var meta = JsonNode.Parse(init.ReadText("meta.json"))!.AsObject();
        meta["final_loss"] = loss;
        meta["final_loss_bits"] = LoopState.Bits(loss);
        ctx.Output.WriteJson("meta.json", meta);
    }
}
