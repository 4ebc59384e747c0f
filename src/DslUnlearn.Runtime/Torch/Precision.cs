using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Torch;

/// <summary>
/// The one place that maps <c>model.dtype</c> to libtorch and that decides what stays in float32:
/// logits and hidden states leave a model as float32 (so log-softmax, NLL sums, KL and every metric
/// reduction run in float32/float64 whatever the compute dtype), and 16-bit training keeps float32 master
/// weights (<see cref="Models.MixedPrecision"/>; the model-level casts are <see cref="Models.ModelPrecision"/>).
/// </summary>
public static class Precision
{
    public static ScalarType ScalarTypeOf(ModelDtype dtype) => dtype switch
    {
        ModelDtype.Float32 => ScalarType.Float32,
        ModelDtype.Bfloat16 => ScalarType.BFloat16,
        ModelDtype.Float16 => ScalarType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "model.dtype must be float32, bfloat16 or float16."),
    };

    /// <summary>The YAML name (float32, bfloat16, float16).</summary>
    public static string Name(ModelDtype dtype) => dtype.ToString().ToLowerInvariant();

    /// <summary>Bytes per element of the compute dtype.</summary>
    public static int Bytes(ModelDtype dtype) => dtype == ModelDtype.Float32 ? 4 : 2;

    /// <summary><paramref name="t"/> itself when float32 or float64, else a float32 copy (in the caller's scope).</summary>
    public static Tensor Float32(Tensor t) => t.dtype is ScalarType.Float32 or ScalarType.Float64 ? t : t.to(ScalarType.Float32);
}
