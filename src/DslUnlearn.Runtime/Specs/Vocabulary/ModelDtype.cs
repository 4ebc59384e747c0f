namespace DslUnlearn.Specs.Vocabulary;

/// <summary>Weight and compute precision (YAML <c>model.dtype</c>: float32, bfloat16, float16).</summary>
public enum ModelDtype { Float32, Bfloat16, Float16 }
