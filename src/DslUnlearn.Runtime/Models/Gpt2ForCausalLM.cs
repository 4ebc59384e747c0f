using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>GPT-2 language model (Hugging Face's GPT2LMHeadModel): transformer + lm_head tied to wte by default.</summary>
public sealed class Gpt2ForCausalLM : CausalLMBase
{
    private readonly Gpt2Model transformer;
    private readonly Linear? lm_head;

    public Gpt2Config Config { get; }

    public Gpt2ForCausalLM(Gpt2Config config, Device? device = null) : base("GPT2LMHeadModel")
    {
        Config = config.Validate();
        transformer = new Gpt2Model(config, device);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.NEmbd, config.VocabSize, hasBias: false, device: device);
        RegisterComponents();
    }

    public override ICausalLMConfig ArchitectureConfig => Config;
    public override string BasePrefix => "transformer.";
    public override string EmbeddingKey => "transformer.wte.weight";

    /// <summary>Older GPT-2 checkpoints store the causal-mask buffers attn.bias / attn.masked_bias; they hold no weights.</summary>
    public override bool IsIgnorableCheckpointKey(string key) =>
        key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal);

    protected override List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates, int? upTo = null)
    {
        transformer.GradientCheckpointing = GradientCheckpointing;
        return transformer.Decode(inputIds, context, allStates, upTo);
    }

    protected override Tensor Head(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        var normed = transformer.Norm(hidden);
        var logits = lm_head is null ? nn.functional.linear(normed, transformer.EmbeddingWeight) : lm_head.forward(normed);
        return logits.MoveToOuterDisposeScope();
    }
}
