using System.Text.Json.Nodes;
using DslUnlearn.Pipeline;
using TorchSharp;

namespace DslUnlearn.Engine;

/// <summary><c>init/model</c>: the model before fine-tuning (seeded random init, or a checkpoint's weights) and its <see cref="ModelMeta"/>.</summary>
public static partial class StagedExperimentRunner
{
    /// <param name="poolSeed">A faithfulness pool member's seed (its own init, <see cref="PoolId"/>), or null for the spec's own.</param>
    private static void AddInitStage(Prepared p, JsonObject dataNode, IProgressSink progress, int? poolSeed = null)
    {
        var fmt = p.EngineOptions.ModelFormat;
        p.Graph.Add(new StageDefinition
        {
            Id = PoolId(p, StageIds.Init, poolSeed), Kind = StageKinds.Init, Seed = poolSeed, KeyId = poolSeed is null ? null : StageIds.Init,
            Options = new JsonObject
            {
                ["model"] = p.Model.Key.DeepClone(), ["preset"] = p.Spec.Model.Preset, ["tokenizer"] = dataNode["tokenizer"]!.DeepClone(), ["device"] = DeviceName(p.Device),
            }.WithDtype(p.Spec.Model.Dtype),
            Execute = ctx =>
            {
                // torch RNG seeded with the spec seed by the engine; a checkpoint brings its own weights
                using var model = p.Model.CreateInitial();
                model.Module.to(p.Device);
                long parameters = model.Module.parameters().Sum(t => t.numel());
                progress.Message($"Model: {p.Model.Description}, {parameters:N0} parameters.");
                ctx.Output.WriteFile(fmt.FileName, s => fmt.Save(model.Module, s));
                new ModelMeta(parameters).Write(ctx.Output);
            },
        });
    }
}
