namespace DslUnlearn.Models;

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
