using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>Decoder stack: embed_tokens -> layers -> norm (Hugging Face's LlamaModel, key prefix "model.").</summary>
public sealed class LlamaModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly LlamaConfig _config;

    /// <summary>Recompute each decoder layer in the backward pass instead of keeping its activations.</summary>
    public bool GradientCheckpointing { get; set; }

    public LlamaModel(LlamaConfig c, Device? device = null) : base(nameof(LlamaModel))
    {
        _config = c;
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize, device: device);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) layers.Add(new LlamaDecoderLayer(c, device));
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device);
        RegisterComponents();
    }

    /// <summary>input_ids [batch, seq] (int64) -> final hidden states [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        var context = AttentionContext.Create(inputIds, null, null);
        return norm.forward(Decode(inputIds, context, false)[^1]).MoveToOuterDisposeScope();
    }

    /// <summary>Pre-norm hidden states: embeddings, then the output of each layer (NumLayers + 1 tensors).</summary>
    public List<Tensor> HiddenStates(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        var states = Decode(inputIds, AttentionContext.Create(inputIds, null, null), true);
        foreach (var s in states) s.MoveToOuterDisposeScope();
        return states;
    }

    /// <summary>Embeddings + layers under <paramref name="context"/>; tensors land in the caller's scope.</summary>
    /// <param name="upTo">Run only the first this many layers (a read-out at that layer needs no more); null = all.</param>
    internal List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates, int? upTo = null)
    {
        var invFreq = Rotary.InverseFrequencies(_config.HeadDim, _config.RopeTheta, _config.RopeScaling, inputIds.device);
        var (cos, sin) = Rotary.TablesAt(context.Positions, invFreq);
        var h = embed_tokens.forward(inputIds);
        if (h.dtype != cos.dtype) (cos, sin) = (cos.to(h.dtype), sin.to(h.dtype)); // 16-bit compute (HF casts the tables too)
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

    public Tensor Norm(Tensor hidden) => norm.forward(hidden);

    internal Tensor EmbeddingWeight => embed_tokens.weight!;
}
