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
/// changes how and not what is computed, enters no stage key: specs that use neither keep their keys.
/// </summary>
public static partial class StagedExperimentRunner
{
    private static ScalarType ComputeDtype(ExperimentSpec spec) => Precision.ScalarTypeOf(spec.Model.Dtype);

    /// <summary>Removes the keys that must not move existing stage keys: model.dtype when float32, gradient_checkpointing when false.</summary>
    private static void RemoveKeyNeutralDefaults(JsonNode resolved, ExperimentSpec spec)
    {
        if (spec.Model.Dtype == ModelDtype.Float32) resolved["model"]?.AsObject().Remove("dtype");
        if (!spec.Finetune.GradientCheckpointing) resolved["finetune"]?.AsObject().Remove("gradient_checkpointing");
        resolved["finetune"]?.AsObject().WithoutDefaultLengthGroups();
        resolved["testbed"]?.AsObject().WithoutKeyNeutralDefaults();
        if (resolved["unlearn"] is JsonArray items)
            foreach (var item in items)
                if (item?["method"]?["options"] is JsonObject o && o["gradient_checkpointing"]?.GetValue<bool>() == false) o.Remove("gradient_checkpointing");
    }

    /// <summary>A loaded model in the spec's compute dtype (a no-op for float32 specs).</summary>
    private static ICausalLM ForCompute(Prepared p, ICausalLM model) => ModelPrecision.Cast(model, ComputeDtype(p.Spec));

    /// <summary>A compute-dtype copy of a float32 master model, or null when the spec computes in float32.</summary>
    private static ICausalLM? ComputeView(Prepared p, ICausalLM master)
        => ModelPrecision.DtypeOf(master) == ComputeDtype(p.Spec) ? null : ModelPrecision.Cast(master.Clone(), ComputeDtype(p.Spec));
}

internal static class DtypeKeyExtensions
{
    /// <summary>Drops a training node's length_groups when 1 (one padded batch, as before the key existed), so the keys
    /// of specs that do not set it stay as they were; other values change the rounding, so they enter the key.</summary>
    public static JsonObject WithoutDefaultLengthGroups(this JsonObject training)
    {
        if (training["length_groups"] is JsonValue v && v.GetValue<decimal>() == 1) training.Remove("length_groups");
        return training;
    }

    /// <summary>Adds "dtype" to init/model's options unless float32 (so float32 keys stay as they were).</summary>
    public static JsonObject WithDtype(this JsonObject options, ModelDtype dtype)
    {
        if (dtype != ModelDtype.Float32) options["dtype"] = Precision.Name(dtype);
        return options;
    }
}
