using DslUnlearn.Progress;

namespace DslUnlearn.Engine;

/// <summary><c>init/model</c>: the model before fine-tuning (seeded random init, or a checkpoint's weights) and its <see cref="ModelMeta"/>.</summary>
public static partial class StagedExperimentRunner
{
    private static void AddInitStage(Prepared p, ShapedStage stage, JsonObject dataNode, IProgressSink progress)
    {
        var fmt = p.EngineOptions.ModelFormat;
        var source = ModelOf(p, stage);
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Seed = stage.Seed, KeyId = stage.KeyId,
            Options = new JsonObject
            {
                ["model"] = source.Key.DeepClone(), ["preset"] = p.Spec.Model.Preset, ["tokenizer"] = dataNode["tokenizer"]!.DeepClone(), ["device"] = DeviceName(p.Device),
            }.WithDtype(p.Spec.Model.Dtype),
            Execute = ctx =>
            {
                // torch RNG seeded with the spec seed (a pool member's own) by the engine; a checkpoint brings its own weights
                using var model = source.CreateInitial();
                model.Module.to(p.Device);
                long parameters = model.Module.parameters().Sum(t => t.numel());
                progress.Message($"Model: {source.Description}{(stage.Size is { } size ? $" ({stage.Id}: {size})" : "")}, {parameters:N0} parameters.");
                ctx.Output.WriteFile(fmt.FileName, s => fmt.Save(model.Module, s));
                new ModelMeta(parameters).Write(ctx.Output);
            },
        });
    }
}
