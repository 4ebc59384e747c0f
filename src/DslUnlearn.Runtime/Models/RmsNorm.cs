using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>Root-mean-square layer norm as in Llama (no mean subtraction, no bias).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    // A Scalar held by the module, not an implicit conversion per call: TorchSharp's implicit Scalars are freed by
    // the finalizer, which can run while the native add still reads them ("Unknown scalar type" under GC pressure);
    // `x + s` also makes an implicit alpha and `pow(2)` an implicit exponent, so every Scalar here is a field.
    private readonly Scalar _eps;
    private readonly Scalar _one;
    private readonly Scalar _two;

    public RmsNorm(int size, double eps, Device? device = null) : base(nameof(RmsNorm))
    {
        weight = new Parameter(torch.ones(size, device: device));
        _eps = eps.ToScalar();
        _one = 1.0.ToScalar();
        _two = 2.ToScalar();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        if (x.dtype != ScalarType.Float32)
        {
            // 16-bit: the variance and the scaling in float32, as Hugging Face's LlamaRMSNorm does.
            var x32 = x.to(ScalarType.Float32);
            var n32 = x32 * torch.rsqrt(x32.pow(_two).mean([-1], keepdim: true).add(_eps, _one));
            return (n32.to(x.dtype) * weight).MoveToOuterDisposeScope();
        }
        var variance = x.pow(_two).mean([-1], keepdim: true);
        var normed = x * torch.rsqrt(variance.add(_eps, _one));
        return (normed * weight).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _eps.Dispose(); _one.Dispose(); _two.Dispose(); }
        base.Dispose(disposing);
    }
}
