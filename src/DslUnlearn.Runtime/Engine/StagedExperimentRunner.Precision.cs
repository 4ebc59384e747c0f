using DslUnlearn.Models;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Torch;

namespace DslUnlearn.Engine;

/// <summary>
/// model.dtype and gradient_checkpointing in the staged runner. Artifacts always hold float32 weights (the master
/// weights of 16-bit training); a 16-bit spec casts a model to its compute dtype when a stage loads it to evaluate,
/// attack or calibrate it, and training stages train a 16-bit twin against the float32 master. The dtype enters the
/// key of init/model (so of every stage after it) only when it is not float32, and gradient checkpointing, which
/// changes how and not what is computed, enters no stage key: specs that use neither keep their keys (both are
/// <c>[Option(KeyNeutral = ...)]</c>, <see cref="KeyNeutralDefaults"/>).
/// </summary>
public static partial class StagedExperimentRunner
{
    private static ScalarType ComputeDtype(ExperimentSpec spec) => Precision.ScalarTypeOf(spec.Model.Dtype);

    /// <summary>Removes the key-neutral keys at their neutral value (model.dtype float32, gradient_checkpointing false, ...;
    /// <see cref="KeyNeutralDefaults"/>), so they do not move existing stage keys.</summary>
    private static void RemoveKeyNeutralDefaults(JsonNode resolved) => resolved.AsObject().WithoutKeyNeutralDefaults("");

    /// <summary>A loaded model in the spec's compute dtype (a no-op for float32 specs).</summary>
    private static ICausalLM ForCompute(Prepared p, ICausalLM model) => ModelPrecision.Cast(model, ComputeDtype(p.Spec));

    /// <summary>A compute-dtype copy of a float32 master model, or null when the spec computes in float32.</summary>
    private static ICausalLM? ComputeView(Prepared p, ICausalLM master)
        => ModelPrecision.DtypeOf(master) == ComputeDtype(p.Spec) ? null : ModelPrecision.Cast(master.Clone(), ComputeDtype(p.Spec));
}

internal static class DtypeKeyExtensions
{
    /// <summary>Adds "dtype" to init/model's options unless at model.dtype's neutral value (float32, so float32 keys stay as they were).</summary>
    public static JsonObject WithDtype(this JsonObject options, ModelDtype dtype)
    {
        if (!KeyNeutralDefaults.IsNeutral("model.dtype", CanonicalJson.FromObject(dtype))) options["dtype"] = Precision.Name(dtype);
        return options;
    }
}
