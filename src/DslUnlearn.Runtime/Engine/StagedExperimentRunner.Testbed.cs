using System.Text.Json.Nodes;
using DslUnlearn.Data.Testbed;
using DslUnlearn.Pipeline;
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
    public const string PretrainTargetStage = "pretrain/target";
    public const string PretrainOracleStage = "pretrain/oracle";

    /// <summary>The stage the target fine-tune starts from (of the pool member with <paramref name="poolSeed"/>, when given).</summary>
    private static string TargetBase(Prepared p, int? poolSeed = null) => PoolId(p, p.Spec.Testbed is null ? StageIds.Init : PretrainTargetStage, poolSeed);

    /// <summary>The stage the oracle fine-tune starts from (of the pool member with <paramref name="poolSeed"/>, when given).</summary>
    private static string OracleBase(Prepared p, int? poolSeed = null) => PoolId(p, p.Spec.Testbed is null ? StageIds.Init : PretrainOracleStage, poolSeed);

    /// <summary>
    /// Adds the pretraining stages of a testbed spec (nothing otherwise); the spec's own (<paramref name="poolSeed"/> null) also
    /// put the testbed into the data node of every stage key. A faithfulness pool member gets both bases (it has a target and an oracle).
    /// </summary>
    private static void AddPretrainStages(Prepared p, JsonObject dataNode, IProgressSink progress, int? poolSeed = null)
    {
        var spec = p.Spec;
        if (spec.Testbed is not { } testbed) return;
        if (poolSeed is null) dataNode["testbed"] = CanonicalJson.FromObject(testbed);
        var inputs = TestbedInputs.For(spec);
        foreach (var (own, corpus, rows) in new[] { (PretrainTargetStage, inputs.Corpus, "retain+forget"), (PretrainOracleStage, inputs.OracleCorpus, "retain") })
        {
            if (own == PretrainOracleStage && !spec.Finetune.Oracle && poolSeed is null) continue;
            string id = PoolId(p, own, poolSeed), init = PoolId(p, StageIds.Init, poolSeed);
            if (p.Graph.Contains(id)) continue; // the spec's own base, shared by the pool member with the spec's seed
            p.Graph.Add(new StageDefinition
            {
                Id = id, Kind = StageKinds.Pretrain, Inputs = [init], Seed = poolSeed, KeyId = poolSeed is null ? null : own,
                Options = new JsonObject { ["pretrain"] = CanonicalJson.FromObject(testbed.Pretrain), ["data"] = dataNode.DeepClone(), ["device"] = DeviceName(p.Device), ["authors"] = rows },
                Execute = ctx => RunFinetune(p, ctx, init, (model, ckpt) => Finetuner.Train(model, TestbedInputs.EncodeDocuments(corpus, p.Encoder.Tokenizer),
                    testbed.Pretrain, (ulong)(poolSeed ?? spec.Seed), p.Device, progress, id.Replace('/', ' '), p.Encoder.Tokenizer.PadId, ctx.Cancellation, ckpt)),
            });
        }
    }
}
