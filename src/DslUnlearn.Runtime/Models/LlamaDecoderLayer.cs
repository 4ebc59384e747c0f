using DslUnlearn.Torch;

namespace DslUnlearn.Models;

/// <summary>Pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly RmsNorm input_layernorm, post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c, Device? device = null) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(c, device);
        mlp = new LlamaMlp(c, device);
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor cos, Tensor sin) => Forward(x, cos, sin, null, 0);

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionContext? context, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var h = x.Plus(self_attn.Forward(input_layernorm.forward(x), cos, sin, context, layer));
        var o = h.Plus(mlp.forward(post_attention_layernorm.forward(h)));
        return o.MoveToOuterDisposeScope();
    }
}
