using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>
/// Llama-style causal language model: model + lm_head (or the embedding matrix when tie_word_embeddings).
/// State-dict keys match Hugging Face.
/// </summary>
public sealed class LlamaForCausalLM : CausalLMBase
{
    private readonly LlamaModel model;
    private readonly Linear? lm_head;

    public LlamaConfig Config { get; }

    /// <summary>
    /// Builds the model after validating <paramref name="config"/> (no tensor is allocated for a bad one).
    /// <paramref name="device"/> may be the meta device, to inspect names and shapes of a large model for free.
    /// </summary>
    public LlamaForCausalLM(LlamaConfig config, Device? device = null) : base(nameof(LlamaForCausalLM))
    {
        Config = config.Validate();
        model = new LlamaModel(config, device);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device);
        RegisterComponents();
    }

    public override ICausalLMConfig ArchitectureConfig => Config;
    public override string BasePrefix => "model.";
    public override string EmbeddingKey => "model.embed_tokens.weight";

    /// <summary>Old checkpoints store the rotary inverse frequencies; they are recomputed, never loaded.</summary>
    public override bool IsIgnorableCheckpointKey(string key) => key.EndsWith(".self_attn.rotary_emb.inv_freq", StringComparison.Ordinal);

    protected override List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates, int? upTo = null)
    {
        model.GradientCheckpointing = GradientCheckpointing;
        return model.Decode(inputIds, context, allStates, upTo);
    }

    protected override Tensor Head(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        var normed = model.Norm(hidden);
        var logits = lm_head is null ? nn.functional.linear(normed, model.EmbeddingWeight) : lm_head.forward(normed);
        return logits.MoveToOuterDisposeScope();
    }
}
