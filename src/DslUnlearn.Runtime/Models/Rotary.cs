using DslUnlearn.Torch;

namespace DslUnlearn.Models;

/// <summary>Rotary position embedding (RoPE) in Hugging Face's half-rotation layout.</summary>
public static class Rotary
{
    /// <summary>cos and sin tables of shape [seq, headDim] for positions 0..seq-1.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(long seq, int headDim, double theta, Device device)
    {
        using var scope = torch.NewDisposeScope();
        // Held Scalars, the same calls as the operators': 1.0 / x is x.reciprocal().mul(1.0), arange(seq) is arange(0, seq, 1).
        using Scalar dim = headDim, end = seq;
        var invFreq = torch.pow(theta, torch.arange(Torch.HeldScalars.ZeroInt, dim, Torch.HeldScalars.TwoInt, dtype: float64, device: device).div(dim)).reciprocal().mul(Torch.HeldScalars.One);
        var positions = torch.arange(Torch.HeldScalars.ZeroInt, end, Torch.HeldScalars.OneInt, dtype: float64, device: device);
        var freqs = positions.unsqueeze(1) * invFreq.unsqueeze(0);      // [seq, headDim/2]
        var emb = torch.cat([freqs, freqs], dim: -1);                     // [seq, headDim]
        return (emb.cos().to(float32).MoveToOuterDisposeScope(), emb.sin().to(float32).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Inverse frequencies theta^(-2i/d) for i &lt; d/2 (float64, [rotaryDim / 2]), scaled when the config asks.
    /// Computed exactly as <see cref="Tables"/> does, so unscaled models give bit-identical tables.
    /// </summary>
    public static Tensor InverseFrequencies(int rotaryDim, double theta, RopeScaling? scaling, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using Scalar dim = rotaryDim;
        var invFreq = torch.pow(theta, torch.arange(Torch.HeldScalars.ZeroInt, dim, Torch.HeldScalars.TwoInt, dtype: float64, device: device).div(dim)).reciprocal().mul(Torch.HeldScalars.One);
        if (scaling is not null) invFreq = scaling.Apply(invFreq);
        return invFreq.MoveToOuterDisposeScope();
    }

    /// <summary>cos and sin of shape [batch, 1, seq, rotaryDim] for position ids [batch, seq] (left padding, KV cache).</summary>
    public static (Tensor Cos, Tensor Sin) TablesAt(Tensor positions, Tensor invFreq)
    {
        using var scope = torch.NewDisposeScope();
        var freqs = positions.to(float64).unsqueeze(-1) * invFreq;        // [batch, seq, rotaryDim/2]
        var emb = torch.cat([freqs, freqs], dim: -1).unsqueeze(1);          // [batch, 1, seq, rotaryDim]
        return (emb.cos().to(float32).MoveToOuterDisposeScope(), emb.sin().to(float32).MoveToOuterDisposeScope());
    }

    /// <summary>RoPE on the first cos.shape[-1] features of x ([batch, heads, seq, headDim]); the rest pass through (Phi's partial rotary).</summary>
    public static Tensor ApplyPartial(Tensor x, Tensor cos, Tensor sin)
    {
        long rot = cos.shape[^1], dim = x.shape[^1];
        if (rot == dim) return Apply(x, cos, sin);
        using var scope = torch.NewDisposeScope();
        var rotated = Apply(x.narrow(-1, 0, rot), cos, sin);
        return torch.cat([rotated, x.narrow(-1, rot, dim - rot)], dim: -1).MoveToOuterDisposeScope();
    }

    /// <summary>Applies RoPE to x of shape [batch, heads, seq, headDim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([-x2, x1], dim: -1);
        return (x * cos).Plus(rotated * sin).MoveToOuterDisposeScope();
    }
}
