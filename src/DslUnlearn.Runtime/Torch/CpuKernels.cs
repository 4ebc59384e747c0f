using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DslUnlearn.Torch;

/// <summary>
/// Which vectorised CPU kernels libtorch runs. ATen, MKL and oneDNN each pick theirs from the CPU (AVX2 or AVX-512), and
/// the pick changes the rounding of sums, which training amplifies: the quickstart's GA forget ES is 0.126 with AVX2
/// kernels and 0.238 with AVX-512 ones, same code, spec, seed and threads (2026-12-02). So by default this pins all three
/// to AVX2, which every x86-64 machine the project supports has: a run then gives the same bytes on AVX2 and AVX-512
/// hosts, at no measured cost on these small models (docs/torchsharp-on-debian.md, "CPU kernels").
/// <c>DSLU_CPU_KERNELS=native</c> lets each library pick; a library variable the user set wins over the pin.
/// The pin must be in the native environment before libtorch's first kernel call (each library reads it once), so it
/// is applied when this assembly loads, and again, first thing, by the CLI.
/// </summary>
public static class CpuKernels
{
    public const string Variable = "DSLU_CPU_KERNELS";

    /// <summary>The libraries' own variables and the AVX2 value each takes.</summary>
    internal static readonly (string Name, string Value)[] Avx2Pins =
    [
        ("ATEN_CPU_CAPABILITY", "avx2"),
        ("MKL_ENABLE_INSTRUCTIONS", "AVX2"),
        ("DNNL_MAX_CPU_ISA", "AVX2"),
    ];

    private static readonly object Gate = new();
    private static Choice? applied;

    /// <summary>What was decided: the variables to set, a one-line description for manifests and benches, or a problem.</summary>
    public sealed record Choice(IReadOnlyList<(string Name, string Value)> Set, string Description, string? Problem);

    /// <summary>The decision, from the environment as the process started and the process architecture (pure: tested).</summary>
    public static Choice Decide(Func<string, string?> environment, Architecture architecture)
    {
        string? mode = environment(Variable)?.Trim();
        if (mode is { Length: > 0 } && !mode.Equals("avx2", StringComparison.OrdinalIgnoreCase))
        {
            if (mode.Equals("native", StringComparison.OrdinalIgnoreCase))
                return new([], Describe("native (each library picks for this CPU)", environment), null);
            return new([], Describe("native (unpinned: invalid " + Variable + ")", environment),
                $"{Variable}={mode} is not a choice: use avx2 (the default: the same bytes on AVX2 and AVX-512 CPUs) or native "
                + "(libtorch picks the CPU's widest kernels; numbers then differ between CPUs).");
        }
        if (architecture is not Architecture.X64)
            return new([], Describe($"native ({architecture}: no AVX2 pin)", environment), null);
        var set = Avx2Pins.Where(p => string.IsNullOrEmpty(environment(p.Name))).ToList();
        return new(set, Describe("avx2 (pinned)", environment), null);
    }

    private static string Describe(string mode, Func<string, string?> environment)
    {
        var user = Avx2Pins.Select(p => p.Name).Where(n => !string.IsNullOrEmpty(environment(n))).Select(n => $"{n}={environment(n)}").ToList();
        return user.Count == 0 ? mode : $"{mode}; set by the user: {string.Join(", ", user)}";
    }

    /// <summary>The choice this process made (applies it first if nothing has yet).</summary>
    public static Choice Current => Apply();

    /// <summary>Puts the pin into the native environment once per process; idempotent and safe to call from anywhere.</summary>
    public static Choice Apply()
    {
        lock (Gate)
        {
            if (applied is not null) return applied;
            var choice = Decide(Environment.GetEnvironmentVariable, RuntimeInformation.ProcessArchitecture);
            foreach (var (name, value) in choice.Set)
            {
                // The managed copy is what child processes (`run --jobs` workers) inherit; the native one is what libtorch reads.
                Environment.SetEnvironmentVariable(name, value);
                if (!OperatingSystem.IsWindows()) _ = SetEnv(name, value, overwrite: 0);
            }
            return applied = choice;
        }
    }

    /// <summary>The CPU's model name from /proc/cpuinfo (Linux), or null: with <see cref="Current"/>, what a run's bits depend on.</summary>
    public static string? CpuModel() => CpuInfo.Value.Model;

    /// <summary>Whether this CPU has AVX-512 (Linux flags), i.e. whether the pin changes anything here; null when unknown.</summary>
    public static bool? HasAvx512() => CpuInfo.Value.Avx512;

    // Read once: the CPU does not change under a process, and every manifest asks.
    private static readonly Lazy<(string? Model, bool? Avx512)> CpuInfo = new(() =>
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return (null, null);
            var lines = File.ReadAllLines("/proc/cpuinfo");
            string? Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1];
            return (Field("model name")?.Trim(), Field("flags")?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("avx512f"));
        }
        catch (IOException) { return (null, null); }
    });

    /// <summary>A variable as the native C library sees it (what libtorch reads); for tests and diagnostics.</summary>
    public static string? NativeValue(string name)
    {
        if (OperatingSystem.IsWindows()) return Environment.GetEnvironmentVariable(name);
        nint p = GetEnv(name);
        return p == 0 ? null : Marshal.PtrToStringUTF8(p);
    }

#pragma warning disable CA2255 // a library module initializer is the point: the pin must precede libtorch's first kernel call
    [ModuleInitializer]
    internal static void AtLoad() => Apply();
#pragma warning restore CA2255

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi)]
    private static extern nint GetEnv(string name);
}
