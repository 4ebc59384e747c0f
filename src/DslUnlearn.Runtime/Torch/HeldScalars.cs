using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary><c>a + b</c> with a held alpha: the same kernel, the same bits.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);
}
