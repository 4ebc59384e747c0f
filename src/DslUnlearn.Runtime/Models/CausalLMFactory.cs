namespace DslUnlearn.Models;

/// <summary>Builds a model of the right family from a Hugging Face config.json (a checkpoint folder with weights: Checkpoints.Checkpoint.Load).</summary>
public static class CausalLMFactory
{
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "gpt2", "phi"];

    /// <summary>Parses config.json text into the family's validated config record.</summary>
    public static ICausalLMConfig ParseConfig(string json, string source = "config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e)
        {
            throw new ModelConfigException([$"{source}: not valid JSON ({e.Message})."]);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ModelConfigException([$"{source}: the top level must be a JSON object."]);
            string? type = root.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return type switch
            {
                "llama" => LlamaConfig.FromJson(root, source),
                "gpt2" => Gpt2Config.FromJson(root, source),
                "phi" => PhiConfig.FromJson(root, source),
                null => throw new ModelConfigException([$"{source}: model_type is missing; supported: {string.Join(", ", SupportedModelTypes)}."]),
                _ => throw new ModelConfigException([$"{source}: model_type = \"{type}\" is not supported; supported: {string.Join(", ", SupportedModelTypes)}."]),
            };
        }
    }

    /// <summary>A randomly initialised model of the family described by <paramref name="configJson"/>.</summary>
    public static ICausalLM FromConfig(string configJson, Device? device = null) => Create(ParseConfig(configJson), device);

    /// <summary>A randomly initialised model for <paramref name="config"/> (validated first; the meta device allocates nothing).</summary>
    public static ICausalLM Create(ICausalLMConfig config, Device? device = null) => config switch
    {
        LlamaConfig c => new LlamaForCausalLM(c, device),
        Gpt2Config c => new Gpt2ForCausalLM(c, device),
        PhiConfig c => new PhiForCausalLM(c, device),
        _ => throw new ArgumentException($"no model family for config type {config.GetType().Name}.", nameof(config)),
    };
}
