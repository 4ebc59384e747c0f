using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>Causal self-attention with grouped-query heads; field names are Hugging Face's keys.</summary>
public sealed class LlamaAttention : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly int _heads, _kvHeads, _headDim;

    public LlamaAttention(LlamaConfig c, Device? device = null) : base(nameof(LlamaAttention))
    {
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        q_proj = nn.Linear(c.HiddenSize, _heads * _headDim, hasBias: c.AttentionBias, device: device);
        k_proj = nn.Linear(c.HiddenSize, _kvHeads * _headDim, hasBias: c.AttentionBias, device: device);
        v_proj = nn.Linear(c.HiddenSize, _kvHeads * _headDim, hasBias: c.AttentionBias, device: device);
        o_proj = nn.Linear(_heads * _headDim, c.HiddenSize, hasBias: c.AttentionBias, device: device);
        RegisterComponents();
    }

    /// <param name="x">[batch, seq, hidden]</param>
    /// <param name="cos">[seq, headDim]</param>
    /// <param name="sin">[seq, headDim]</param>
    public override Tensor forward(Tensor x, Tensor cos, Tensor sin) => Forward(x, cos, sin, null, 0);

    /// <summary>Attention with positions, mask and cache from <paramref name="context"/> (null = plain causal).</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionContext? context, int layer)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        q = Rotary.Apply(q, cos, sin);
        k = Rotary.Apply(k, cos, sin);
        Tensor attended;
        if (context is not null) attended = context.Attend(layer, q, k, v);
        else
        {
            if (_kvHeads != _heads)
            {
                int groups = _heads / _kvHeads;
                k = k.repeat_interleave(groups, dim: 1);
                v = v.repeat_interleave(groups, dim: 1);
            }
            attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        }
        var merged = attended.transpose(1, 2).contiguous().view(b, t, _heads * _headDim);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }
}
