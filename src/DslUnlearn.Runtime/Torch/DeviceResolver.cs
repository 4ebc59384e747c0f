using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Torch;

/// <summary>Maps the spec's device (auto|cpu|cuda) to a TorchSharp device, with a fix-it message when CUDA is missing.</summary>
public static class DeviceResolver
{
    public static Device Resolve(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => CPU,
        DeviceKind.Auto => torch.cuda.is_available() ? CUDA : CPU,
        DeviceKind.Cuda => torch.cuda.is_available()
            ? CUDA
            : throw new InvalidOperationException(
                "device: cuda was requested but no CUDA libtorch/GPU is available. Use device: auto or cpu, or " +
                "install a CUDA build of libtorch (see README, 'CUDA').") ,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
    };
}
