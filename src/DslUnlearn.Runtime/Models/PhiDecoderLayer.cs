using DslUnlearn.Torch;
using TorchSharp.Modules;

namespace DslUnlearn.Models;

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
        var output = self_attn.Forward(normed, cos, sin, context, layer).Plus(mlp.forward(normed)).Plus(x);
        return output.MoveToOuterDisposeScope();
    }
}
