using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Models;

/// <summary>Rotary position embedding (RoPE) in Hugging Face's half-rotation layout.</summary>
public static class Rotary
{
    /// <summary>cos and sin tables of shape [seq, headDim] for positions 0..seq-1.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(long seq, int headDim, double theta, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var invFreq = 1.0 / torch.pow(theta, torch.arange(0, headDim, 2, dtype: float64, device: device) / headDim);
        var positions = torch.arange(seq, dtype: float64, device: device);
        var freqs = positions.unsqueeze(1) * invFreq.unsqueeze(0);      // [seq, headDim/2]
        var emb = torch.cat([freqs, freqs], dim: -1);                     // [seq, headDim]
        return (emb.cos().to(float32).MoveToOuterDisposeScope(), emb.sin().to(float32).MoveToOuterDisposeScope());
    }

    /// <summary>Applies RoPE to x of shape [batch, heads, seq, headDim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([-x2, x1], dim: -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
