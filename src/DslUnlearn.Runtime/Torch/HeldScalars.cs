namespace DslUnlearn.Torch;

/// <summary>
/// Scalars that live as long as the process. TorchSharp turns a number passed where it takes a Scalar (also the hidden
/// alpha = 1 of <c>a + b</c>) into a temporary Scalar that the finalizer may free while the native call still reads it;
/// the process then dies with "Unknown scalar type" (seen in RmsNorm and in RoPE's add). Hot paths add through these.
/// </summary>
internal static class HeldScalars
{
    public static readonly Scalar One = 1.0.ToScalar();
    /// <summary>Integer scalars (as C#'s int literals convert), for int64 tensors: they keep the integer dtype.</summary>
    public static readonly Scalar OneInt = 1L.ToScalar(), ZeroInt = 0L.ToScalar(), MinusOneInt = (-1L).ToScalar(), TwoInt = 2L.ToScalar();

    public static readonly Scalar PositiveInfinity = double.PositiveInfinity.ToScalar(), NegativeInfinity = double.NegativeInfinity.ToScalar();

    /// <summary><c>a + b</c> with a held alpha: the same kernel, the same bits.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    // The operators with a number, each holding the number's Scalar through the call: the calls TorchSharp's operator
    // makes (its IL: t * k and k * t are t.mul(k), t / k is t.div(k), t - k is t.sub(k)), so the same kernel and bits.
    // libtorch keeps int and long alike (int64) and float and double alike (double), so one overload of each serves.

    /// <summary><c>t * k</c> (or <c>k * t</c>).</summary>
    public static Tensor Times(this Tensor t, double k)
    {
        using var s = k.ToScalar();
        return t.mul(s);
    }

    /// <summary><c>t / k</c>.</summary>
    public static Tensor Over(this Tensor t, double k)
    {
        using var s = k.ToScalar();
        return t.div(s);
    }

    /// <summary><c>t / k</c> for an integer k (an integral Scalar, as the operator's).</summary>
    public static Tensor Over(this Tensor t, long k)
    {
        using var s = k.ToScalar();
        return t.div(s);
    }

    /// <summary><c>t - k</c>.</summary>
    public static Tensor Minus(this Tensor t, double k)
    {
        using var s = k.ToScalar();
        return t.sub(s);
    }
}
