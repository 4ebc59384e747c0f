using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>embed_tokens -> layers -> final_layernorm (Hugging Face's PhiModel, prefix "model.").</summary>
public sealed class PhiModel : nn.Module<Tensor, Tensor>
{
    /// <summary>Recompute each decoder layer in the backward pass instead of keeping its activations.</summary>
    public bool GradientCheckpointing { get; set; }

    private readonly Embedding embed_tokens;
    private readonly ModuleList<PhiDecoderLayer> layers;
    private readonly LayerNorm final_layernorm;
    private readonly PhiConfig _config;

    public PhiModel(PhiConfig c, Device? device = null) : base("PhiModel")
    {
        _config = c;
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize, device: device);
        layers = new ModuleList<PhiDecoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) layers.Add(new PhiDecoderLayer(c, device));
        final_layernorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        return final_layernorm.forward(Decode(inputIds, AttentionContext.Create(inputIds, null, null), false)[^1]).MoveToOuterDisposeScope();
    }

    /// <param name="upTo">Run only the first this many layers (a read-out at that layer needs no more); null = all.</param>
    internal List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates, int? upTo = null)
    {
        var invFreq = Rotary.InverseFrequencies(_config.RotaryDim, _config.RopeTheta, _config.RopeScaling, inputIds.device);
        var (cos, sin) = Rotary.TablesAt(context.Positions, invFreq);
        var h = embed_tokens.forward(inputIds);
        if (h.dtype != cos.dtype) (cos, sin) = (cos.to(h.dtype), sin.to(h.dtype)); // 16-bit compute
        var states = new List<Tensor> { h };
        bool checkpoint = Checkpointing.Applies(GradientCheckpointing, this, context);
        for (int i = 0; i < (upTo ?? layers.Count); i++)
        {
            var layer = layers[i];
            int index = i;
            h = checkpoint
                ? Checkpointing.Layer(layer, (x, e) => layer.Forward(x, e[0]!, e[1]!, context with { Mask = e[2] }, index), h, [cos, sin, context.Mask])
                : layer.Forward(h, cos, sin, context, i);
            if (allStates) states.Add(h);
        }
        return allStates ? states : [h];
    }

    internal Tensor Norm(Tensor hidden) => final_layernorm.forward(hidden);
}
