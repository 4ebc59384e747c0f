using System.Runtime.InteropServices;
using Isa = System.Runtime.InteropServices.Architecture;
using DslUnlearn.Torch;

namespace DslUnlearn.Tests.Torch;

/// <summary>The AVX2 pin that makes a run's bytes the same on AVX2 and AVX-512 hosts (docs/torchsharp-on-debian.md).</summary>
public class CpuKernelsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] set) =>
        name => set.FirstOrDefault(s => s.Name == name).Value;

    [Fact]
    public void By_default_all_three_libraries_are_pinned_to_AVX2_on_x64()
    {
        var choice = CpuKernels.Decide(Env(), Isa.X64);
        Assert.Null(choice.Problem);
        Assert.Equal([("ATEN_CPU_CAPABILITY", "avx2"), ("MKL_ENABLE_INSTRUCTIONS", "AVX2"), ("DNNL_MAX_CPU_ISA", "AVX2")], choice.Set);
        Assert.Equal("avx2 (pinned)", choice.Description);
        Assert.Equal(choice.Set, CpuKernels.Decide(Env((CpuKernels.Variable, " AVX2 ")), Isa.X64).Set);
    }

    [Fact]
    public void Native_leaves_the_libraries_to_choose()
    {
        var choice = CpuKernels.Decide(Env((CpuKernels.Variable, "native")), Isa.X64);
        Assert.Empty(choice.Set);
        Assert.Null(choice.Problem);
        Assert.StartsWith("native", choice.Description);
    }

    [Fact]
    public void A_library_variable_the_user_set_is_kept_and_reported()
    {
        var choice = CpuKernels.Decide(Env(("ATEN_CPU_CAPABILITY", "avx512")), Isa.X64);
        Assert.DoesNotContain(choice.Set, s => s.Name == "ATEN_CPU_CAPABILITY");
        Assert.Equal(2, choice.Set.Count);
        Assert.Equal("avx2 (pinned); set by the user: ATEN_CPU_CAPABILITY=avx512", choice.Description);
    }

    [Fact]
    public void An_unknown_choice_is_a_problem_that_names_the_variable_and_both_choices()
    {
        var choice = CpuKernels.Decide(Env((CpuKernels.Variable, "avx512")), Isa.X64);
        Assert.Equal("DSLU_CPU_KERNELS=avx512 is not a choice: use avx2 (the default: the same bytes on AVX2 and AVX-512 CPUs) or native "
            + "(libtorch picks the CPU's widest kernels; numbers then differ between CPUs).", choice.Problem);
        Assert.Empty(choice.Set); // nothing pinned: the CLI refuses to start, and says so
    }

    [Fact]
    public void Other_architectures_are_not_pinned()
    {
        var choice = CpuKernels.Decide(Env(), Isa.Arm64);
        Assert.Empty(choice.Set);
        Assert.Contains("Arm64", choice.Description);
    }

    [SkippableFact]
    public void This_process_runs_libtorch_with_the_pin_in_its_native_and_managed_environment()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Isa.X64, "the AVX2 pin is for x86-64 only");
        var choice = CpuKernels.Current;
        Skip.If(choice.Description != "avx2 (pinned)", $"this test process was started with its own kernel choice ({choice.Description})");
        foreach (var (name, value) in CpuKernels.Avx2Pins)
        {
            Assert.Equal(value, CpuKernels.NativeValue(name));       // what libtorch reads
            Assert.Equal(value, Environment.GetEnvironmentVariable(name)); // what `run --jobs` workers inherit
        }
        Assert.Same(choice, CpuKernels.Apply());
    }
}
