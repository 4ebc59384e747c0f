using TorchSharp.Modules;

namespace DslUnlearn.Models;

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
