using DslUnlearn.Training;

namespace DslUnlearn.Engine;

/// <summary>
/// meta.json of the stages that store a model: init/model writes the parameter count, a fine-tuning stage adds its
/// final loss (shortest round-trip for people, bit pattern for the report). The one reader and writer of the file.
/// </summary>
public sealed record ModelMeta(long Parameters, double? FinalLoss = null)
{
    public const string FileName = "meta.json";

    public void Write(ArtifactWriter output)
    {
        var node = new JsonObject { ["parameters"] = Parameters };
        if (FinalLoss is { } loss)
        {
            node["final_loss"] = double.IsFinite(loss) ? loss : null;
            node["final_loss_bits"] = LoopState.Bits(loss);
        }
        output.WriteJson(FileName, node);
    }

    public static ModelMeta Read(Artifact artifact)
    {
        var n = JsonNode.Parse(artifact.ReadText(FileName))!;
        return new ModelMeta(n["parameters"]!.GetValue<long>(), n["final_loss_bits"] is { } bits ? LoopState.Double(bits) : null);
    }
}
