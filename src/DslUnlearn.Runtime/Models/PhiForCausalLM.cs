using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>Phi-1.5-style causal language model: model + lm_head with bias. State-dict keys match Hugging Face.</summary>
public sealed class PhiForCausalLM : CausalLMBase
{
    private readonly PhiModel model;
    private readonly Linear lm_head;

    public PhiConfig Config { get; }

    public PhiForCausalLM(PhiConfig config, Device? device = null) : base(nameof(PhiForCausalLM))
    {
        Config = config.Validate();
        model = new PhiModel(config, device);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: true, device: device);
        RegisterComponents();
    }

    public override ICausalLMConfig ArchitectureConfig => Config;
    public override string BasePrefix => "model.";
    public override string EmbeddingKey => "model.embed_tokens.weight";

    protected override List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates, int? upTo = null)
    {
        model.GradientCheckpointing = GradientCheckpointing;
        return model.Decode(inputIds, context, allStates, upTo);
    }

    protected override Tensor Head(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        return lm_head.forward(model.Norm(hidden)).MoveToOuterDisposeScope();
    }
}
