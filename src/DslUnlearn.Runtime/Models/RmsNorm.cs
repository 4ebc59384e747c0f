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
        if (x.dtype != ScalarType.Float32)
        {
            // 16-bit: the variance and the scaling in float32, as Hugging Face's LlamaRMSNorm does.
            var x32 = x.to(ScalarType.Float32);
            var n32 = x32 * torch.rsqrt(x32.pow(2).mean([-1], keepdim: true) + _eps);
            return (n32.to(x.dtype) * weight).MoveToOuterDisposeScope();
        }
        var variance = x.pow(2).mean([-1], keepdim: true);
        var normed = x * torch.rsqrt(variance + _eps);
        return (normed * weight).MoveToOuterDisposeScope();
    }
}
