using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Models;

/// <summary>Pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly RmsNorm input_layernorm, post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(c);
        mlp = new LlamaMlp(c);
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x), cos, sin);
        var o = h + mlp.forward(post_attention_layernorm.forward(h));
        return o.MoveToOuterDisposeScope();
    }
}
