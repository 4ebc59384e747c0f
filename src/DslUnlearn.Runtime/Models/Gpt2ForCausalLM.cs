using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DslUnlearn.Models;

/// <summary>
/// GPT-2's "Conv1D": a linear layer whose weight is stored transposed, [in, out], as in the original
/// TensorFlow checkpoints; y = x W + b. Keeping that layout lets checkpoints load with no transposition table.
/// </summary>
public sealed class Gpt2Conv1D : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight, bias;

    public Gpt2Conv1D(int inFeatures, int outFeatures, Device? device = null) : base("Conv1D")
    {
        weight = new Parameter(torch.empty(inFeatures, outFeatures, device: device));
        bias = new Parameter(torch.zeros(outFeatures, device: device));
        using (torch.no_grad()) nn.init.normal_(weight, 0.0, 0.02);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight.t(), bias);
}

internal static class Gelu
{
    /// <summary>gelu_new / gelu_pytorch_tanh use the tanh approximation; "gelu" is the exact erf form.</summary>
    public static Tensor Apply(Tensor x, string activation) => activation == "gelu"
        ? nn.functional.gelu(x)
        : nn.functional.gelu(x, GELU.Approximate.tanh);
}

public sealed class Gpt2Attention : nn.Module<Tensor, Tensor>
{
    private readonly Gpt2Conv1D c_attn, c_proj;
    private readonly int _heads, _headDim, _hidden;

    public Gpt2Attention(Gpt2Config c, Device? device = null) : base("GPT2Attention")
    {
        _heads = c.NHead; _headDim = c.HeadDim; _hidden = c.NEmbd;
        c_attn = new Gpt2Conv1D(c.NEmbd, 3 * c.NEmbd, device);
        c_proj = new Gpt2Conv1D(c.NEmbd, c.NEmbd, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null, 0);

    public Tensor Forward(Tensor x, AttentionContext? context, int layer)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var qkv = c_attn.forward(x).split(_hidden, dim: 2);
        Tensor Heads(Tensor y) => y.view(b, t, _heads, _headDim).transpose(1, 2);
        Tensor q = Heads(qkv[0]), k = Heads(qkv[1]), v = Heads(qkv[2]);
        var attended = context is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : context.Attend(layer, q, k, v);
        var merged = attended.transpose(1, 2).contiguous().view(b, t, _hidden);
        return c_proj.forward(merged).MoveToOuterDisposeScope();
    }
}

public sealed class Gpt2Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Gpt2Conv1D c_fc, c_proj;
    private readonly string _activation;

    public Gpt2Mlp(Gpt2Config c, Device? device = null) : base("GPT2MLP")
    {
        c_fc = new Gpt2Conv1D(c.NEmbd, c.InnerSize, device);
        c_proj = new Gpt2Conv1D(c.InnerSize, c.NEmbd, device);
        _activation = c.ActivationFunction;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return c_proj.forward(Gelu.Apply(c_fc.forward(x), _activation)).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-LayerNorm block: x + attn(ln_1(x)), then + mlp(ln_2(x)).</summary>
public sealed class Gpt2Block : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1, ln_2;
    private readonly Gpt2Attention attn;
    private readonly Gpt2Mlp mlp;

    public Gpt2Block(Gpt2Config c, Device? device = null) : base("GPT2Block")
    {
        ln_1 = nn.LayerNorm(c.NEmbd, c.LayerNormEpsilon, device: device);
        attn = new Gpt2Attention(c, device);
        ln_2 = nn.LayerNorm(c.NEmbd, c.LayerNormEpsilon, device: device);
        mlp = new Gpt2Mlp(c, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null, 0);

    public Tensor Forward(Tensor x, AttentionContext? context, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + attn.Forward(ln_1.forward(x), context, layer);
        return (h + mlp.forward(ln_2.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>Token + learned position embeddings, blocks h.N, final ln_f (Hugging Face's GPT2Model, prefix "transformer.").</summary>
public sealed class Gpt2Model : nn.Module<Tensor, Tensor>
{
    /// <summary>Recompute each decoder layer in the backward pass instead of keeping its activations.</summary>
    public bool GradientCheckpointing { get; set; }

    private readonly Embedding wte, wpe;
    private readonly ModuleList<Gpt2Block> h;
    private readonly LayerNorm ln_f;

    public Gpt2Model(Gpt2Config c, Device? device = null) : base("GPT2Model")
    {
        wte = nn.Embedding(c.VocabSize, c.NEmbd, device: device);
        wpe = nn.Embedding(c.NPositions, c.NEmbd, device: device);
        h = new ModuleList<Gpt2Block>();
        for (int i = 0; i < c.NLayer; i++) h.Add(new Gpt2Block(c, device));
        ln_f = nn.LayerNorm(c.NEmbd, c.LayerNormEpsilon, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        return ln_f.forward(Decode(inputIds, AttentionContext.Create(inputIds, null, null), false)[^1]).MoveToOuterDisposeScope();
    }

    internal List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates)
    {
        var x = wte.forward(inputIds) + wpe.forward(context.Positions);
        var states = new List<Tensor> { x };
        bool checkpoint = Checkpointing.Applies(GradientCheckpointing, this, context);
        for (int i = 0; i < h.Count; i++)
        {
            var block = h[i];
            int index = i;
            x = checkpoint
                ? Checkpointing.Layer(block, (y, e) => block.Forward(y, context with { Mask = e[0] }, index), x, [context.Mask])
                : block.Forward(x, context, i);
            if (allStates) states.Add(x);
        }
        return allStates ? states : [x];
    }

    internal Tensor Norm(Tensor hidden) => ln_f.forward(hidden);
    internal Tensor EmbeddingWeight => wte.weight!;
}

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

    protected override List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates)
    {
        transformer.GradientCheckpointing = GradientCheckpointing;
        return transformer.Decode(inputIds, context, allStates);
    }

    protected override Tensor Head(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        var normed = transformer.Norm(hidden);
        var logits = lm_head is null ? nn.functional.linear(normed, transformer.EmbeddingWeight) : lm_head.forward(normed);
        return logits.MoveToOuterDisposeScope();
    }
}
