using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj, up_proj, down_proj;

    public LlamaMlp(LlamaConfig c, Device? device = null) : base(nameof(LlamaMlp))
    {
        gate_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: c.MlpBias, device: device);
        up_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: c.MlpBias, device: device);
        down_proj = nn.Linear(c.IntermediateSize, c.HiddenSize, hasBias: c.MlpBias, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x);
        return down_proj.forward(h).MoveToOuterDisposeScope();
    }
}
