namespace DslUnlearn.Models;

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
