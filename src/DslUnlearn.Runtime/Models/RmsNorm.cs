using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DslUnlearn.Models;

/// <summary>Root-mean-square layer norm as in Llama (no mean subtraction, no bias).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    public RmsNorm(int size, double eps, Device? device = null) : base(nameof(RmsNorm))
    {
        weight = new Parameter(torch.ones(size, device: device));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var variance = x.pow(2).mean([-1], keepdim: true);
        var normed = x * torch.rsqrt(variance + _eps);
        return (normed * weight).MoveToOuterDisposeScope();
    }
}
