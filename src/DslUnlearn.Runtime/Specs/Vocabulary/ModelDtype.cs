using DslUnlearn.Components;

namespace DslUnlearn.Specs.Vocabulary;

/// <summary>Weight and compute precision (YAML <c>model.dtype</c>: float32, bfloat16, float16).</summary>
public enum ModelDtype
{
    [Choice("float32", Help = "32-bit floats everywhere", Aliases = ["fp32", "float", "f32"])] Float32,
    [Choice("bfloat16", Help = "bfloat16 weights and compute; float32 master weights, optimizer state, losses and metric reductions", Aliases = ["bf16"])] Bfloat16,
    [Choice("float16", Help = "float16 weights and compute; float32 master weights, optimizer state, losses and metric reductions", Aliases = ["fp16", "half", "f16"])] Float16,
}
