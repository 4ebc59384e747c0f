// torch.manual_seed seeds one process-wide generator: tests that seed and then draw random weights
// must not interleave with other tests drawing from it, or "same seed, same bits" would be flaky.
// libtorch already uses every core for intra-op parallelism, so little is lost.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DslUnlearn.Tests
{
    internal static class KernelPin
    {
        // Before any test's first torch call: the tests' numbers are those of the pinned AVX2 kernels on any x86-64 host.
#pragma warning disable CA2255
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void Apply() => DslUnlearn.Torch.CpuKernels.Apply();
#pragma warning restore CA2255
    }
}
