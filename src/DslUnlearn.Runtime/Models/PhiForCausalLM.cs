using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DslUnlearn.Models;

/// <summary>Phi attention: biased q/k/v projections, rotary on the first rotary_dim features of each head, output "dense".</summary>
public sealed class PhiAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q_proj, k_proj, v_proj, dense;
    private readonly int _heads, _kvHeads, _headDim;

    public PhiAttention(PhiConfig c, Device? device = null) : base("PhiAttention")
    {
        _heads = c.NumAttentionHeads; _kvHeads = c.KvHeads; _headDim = c.HeadDim;
        q_proj = nn.Linear(c.HiddenSize, _heads * _headDim, hasBias: true, device: device);
        k_proj = nn.Linear(c.HiddenSize, _kvHeads * _headDim, hasBias: true, device: device);
        v_proj = nn.Linear(c.HiddenSize, _kvHeads * _headDim, hasBias: true, device: device);
        dense = nn.Linear(_heads * _headDim, c.HiddenSize, hasBias: true, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("PhiAttention needs rotary tables; call it through PhiForCausalLM.");

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionContext context, int layer)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        q = Rotary.ApplyPartial(q, cos, sin);
        k = Rotary.ApplyPartial(k, cos, sin);
        var attended = context.Attend(layer, q, k, v);
        var merged = attended.transpose(1, 2).contiguous().view(b, t, _heads * _headDim);
        return dense.forward(merged).MoveToOuterDisposeScope();
    }
}

public sealed class PhiMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2;
    private readonly string _activation;

    public PhiMlp(PhiConfig c, Device? device = null) : base("PhiMLP")
    {
        fc1 = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: true, device: device);
        fc2 = nn.Linear(c.IntermediateSize, c.HiddenSize, hasBias: true, device: device);
        _activation = c.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return fc2.forward(Gelu.Apply(fc1.forward(x), _activation)).MoveToOuterDisposeScope();
    }
}

/// <summary>Parallel block: x + attn(ln(x)) + mlp(ln(x)), one shared input_layernorm.</summary>
public sealed class PhiDecoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly PhiAttention self_attn;
    private readonly PhiMlp mlp;
    private readonly LayerNorm input_layernorm;

    public PhiDecoderLayer(PhiConfig c, Device? device = null) : base("PhiDecoderLayer")
    {
        self_attn = new PhiAttention(c, device);
        mlp = new PhiMlp(c, device);
        input_layernorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("PhiDecoderLayer needs rotary tables; call it through PhiForCausalLM.");

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionContext context, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var normed = input_layernorm.forward(x);
        var output = self_attn.Forward(normed, cos, sin, context, layer) + mlp.forward(normed) + x;
        return output.MoveToOuterDisposeScope();
    }
}

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

    internal List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates)
    {
        var invFreq = Rotary.InverseFrequencies(_config.RotaryDim, _config.RopeTheta, _config.RopeScaling, inputIds.device);
        var (cos, sin) = Rotary.TablesAt(context.Positions, invFreq);
        var h = embed_tokens.forward(inputIds);
        if (h.dtype != cos.dtype) (cos, sin) = (cos.to(h.dtype), sin.to(h.dtype)); // 16-bit compute
        var states = new List<Tensor> { h };
        bool checkpoint = Checkpointing.Applies(GradientCheckpointing, this, context);
        for (int i = 0; i < layers.Count; i++)
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

    protected override List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates)
    {
        model.GradientCheckpointing = GradientCheckpointing;
        return model.Decode(inputIds, context, allStates);
    }

    protected override Tensor Head(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        return lm_head.forward(model.Norm(hidden)).MoveToOuterDisposeScope();
    }
}
