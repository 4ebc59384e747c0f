namespace DslUnlearn.Torch;

/// <summary>
/// Shape-checked wrappers for the TorchSharp ops whose native errors are not caught (they abort the
/// process with exit code 134 instead of throwing): <c>torch.matmul</c> and <c>autograd.grad</c>.
/// Every call site in the runtime goes through here.
/// </summary>
public static class SafeOps
{
    /// <summary>torch.matmul with its broadcasting rules checked first.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, string what = "matmul")
    {
        long[] sa = a.shape, sb = b.shape;
        if (sa.Length == 0 || sb.Length == 0)
            throw new ShapeMismatchException($"{what}: both operands need at least one dimension, got {Fmt(sa)} and {Fmt(sb)}.");
        long inner = sa[^1];
        long otherInner = sb.Length == 1 ? sb[0] : sb[^2];
        if (inner != otherInner)
            throw new ShapeMismatchException($"{what}: inner dimensions differ: {Fmt(sa)} @ {Fmt(sb)} ({inner} != {otherInner}).");
        if (sa.Length > 2 && sb.Length > 2)
        {
            // Batch dimensions must broadcast.
            long[] ba = sa[..^2], bb = sb[..^2];
            for (int i = 1; i <= Math.Min(ba.Length, bb.Length); i++)
            {
                long x = ba[^i], y = bb[^i];
                if (x != y && x != 1 && y != 1)
                    throw new ShapeMismatchException($"{what}: batch dimensions do not broadcast: {Fmt(sa)} @ {Fmt(sb)}.");
            }
        }
        if (a.dtype != b.dtype)
            throw new ShapeMismatchException($"{what}: dtypes differ ({a.dtype} vs {b.dtype}).");
        if (a.device.ToString() != b.device.ToString())
            throw new ShapeMismatchException($"{what}: devices differ ({a.device} vs {b.device}).");
        return torch.matmul(a, b);
    }

    internal static string Fmt(long[] shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>Tensor shapes that would make libtorch fail; thrown before the native call.</summary>
public sealed class ShapeMismatchException(string message) : ArgumentException(message);
