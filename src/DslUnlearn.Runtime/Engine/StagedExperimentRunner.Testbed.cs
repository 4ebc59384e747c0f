using DslUnlearn.Data.Testbed;
using DslUnlearn.Progress;
using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>
/// The biographies testbed's pretraining (issue 11; docs/testbed.md). With <c>data.source: biographies</c>,
/// <c>pretrain/target</c> trains the initial model on the pretraining corpus (every biography of the retain and forget
/// authors, plus the mixed-training QA documents), and the target fine-tune starts from it instead of init/model.
/// With an oracle, <c>pretrain/oracle</c> does the same on the corpus without the forget authors' biographies, so the
/// oracle never sees the forget authors at all. The keys hold only what shapes the weights (the world, prompt,
/// tokenizer, pretraining settings, device, seed), not the fine-tuning, unlearning or metrics: specs that share a
/// world and model share the pretrained bases in the store.
/// </summary>
public static partial class StagedExperimentRunner
{
    public const string PretrainTargetStage = StageIds.PretrainTarget;
    public const string PretrainOracleStage = StageIds.PretrainOracle;

    /// <summary>pretrain/target or pretrain/oracle of a testbed spec (the testbed is in the data node of every stage key).</summary>
    private static void AddPretrainStage(Prepared p, ShapedStage stage, JsonObject dataNode, IProgressSink progress)
    {
        var spec = p.Spec;
        var testbed = spec.Testbed!;
        var inputs = TestbedInputs.For(spec);
        bool oracle = stage.Role == StageIds.PretrainOracle;
        var (corpus, rows) = oracle ? (inputs.OracleCorpus, "retain") : (inputs.Corpus, "retain+forget");
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Seed = stage.Seed, KeyId = stage.KeyId,
            Options = new JsonObject { ["pretrain"] = CanonicalJson.FromObject(testbed.Pretrain)!.AsObject().WithoutKeyNeutralDefaults("testbed.pretrain"), ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device), ["authors"] = rows },
            Execute = ctx => RunFinetune(p, ctx, stage, (model, ckpt) => Finetuner.Train(model, TestbedInputs.EncodeDocuments(corpus, p.Encoder.Tokenizer),
                testbed.Pretrain, (ulong)(stage.Seed ?? spec.Seed), p.Device, progress, stage.Id.Replace('/', ' '), p.Encoder.Tokenizer.PadId, ctx.Cancellation, ckpt)),
        });
    }
}
