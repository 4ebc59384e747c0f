using DslUnlearn.Torch;
using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>Pre-LayerNorm block: x + attn(ln_1(x)), then + mlp(ln_2(x)).</summary>
public sealed class Gpt2DecoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1, ln_2;
    private readonly Gpt2Attention attn;
    private readonly Gpt2Mlp mlp;

    public Gpt2DecoderLayer(Gpt2Config c, Device? device = null) : base("GPT2Block")
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
        var h = x.Plus(attn.Forward(ln_1.forward(x), context, layer));
        return h.Plus(mlp.forward(ln_2.forward(h))).MoveToOuterDisposeScope();
    }
}
