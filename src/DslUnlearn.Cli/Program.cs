using DslUnlearn.Cli;
using DslUnlearn.Torch;

// First thing: libtorch reads its kernel choice once, at its first kernel call (docs/torchsharp-on-debian.md, "CPU kernels").
if (CpuKernels.Apply().Problem is { } problem)
{
    Console.Error.WriteLine($"error: {problem}");
    return Commands.Failed;
}
return Commands.Build().Parse(args).Invoke();
