namespace DslUnlearn.Models;

/// <summary>The architecture of one model family, as read from (and written to) Hugging Face's config.json.</summary>
public interface ICausalLMConfig
{
    /// <summary>config.json's model_type: "llama", "gpt2" or "phi".</summary>
    string ModelType { get; }
    /// <summary>config.json's architectures[0], e.g. "LlamaForCausalLM".</summary>
    string Architecture { get; }
    int VocabSize { get; }
    int HiddenSize { get; }
    int NumLayers { get; }
    int MaxPositions { get; }
    /// <summary>True when the LM head reuses the token embedding matrix (no separate lm_head.weight is stored).</summary>
    bool TieWordEmbeddings { get; }

    /// <summary>Throws <see cref="ModelConfigException"/> listing every problem; returns itself otherwise.</summary>
    ICausalLMConfig ValidateConfig();

    /// <summary>The Hugging Face config.json object (model_type, architectures and this family's keys).</summary>
    JsonObject ToJson();
}
