using TorchSharp.Modules;

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
