namespace DslUnlearn.Models;

/// <summary>The dtype of a model and its in-place cast: the model-level half of <see cref="Torch.Precision"/>, which maps
/// <c>model.dtype</c> to libtorch.</summary>
public static class ModelPrecision
{
    /// <summary>The dtype of the model's floating-point parameters.</summary>
    public static ScalarType DtypeOf(ICausalLM model) => model.Module.parameters().First().dtype;

    /// <summary>Casts the model's parameters (and float buffers) to <paramref name="dtype"/> in place; a no-op for float32 models asked for float32.</summary>
    public static ICausalLM Cast(ICausalLM model, ScalarType dtype)
    {
        if (DtypeOf(model) != dtype) model.Module.to(dtype);
        return model;
    }
}
