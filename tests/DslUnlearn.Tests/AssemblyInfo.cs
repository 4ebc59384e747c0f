// torch.manual_seed seeds one process-wide generator: tests that seed and then draw random weights
// must not interleave with other tests drawing from it, or "same seed, same bits" would be flaky.
// libtorch already uses every core for intra-op parallelism, so little is lost.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
