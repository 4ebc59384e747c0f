using DslUnlearn.Components;

namespace DslUnlearn.Specs.Vocabulary;

public enum DeviceKind
{
    [Choice("auto", Help = "CUDA when available, else CPU")] Auto,
    [Choice("cpu", Help = "always the CPU")] Cpu,
    [Choice("cuda", Help = "the first CUDA GPU", Aliases = ["gpu"])] Cuda,
}
