using System.Runtime.InteropServices;

namespace DslUnlearn.Bench;

/// <summary>
/// Resident memory of this process from /proc (Linux): the current RSS and the peak since the last
/// <see cref="ResetPeak"/> (writing 5 to /proc/self/clear_refs resets VmHWM). libtorch's CPU tensors live in
/// malloc'd memory, so RSS is what a step costs; freed blocks are handed back first (malloc_trim) so a phase
/// starts from what it really holds. Null where /proc is missing (not Linux).
/// </summary>
public static class ProcessMemory
{
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    public static bool Available => File.Exists("/proc/self/status") && File.Exists("/proc/self/clear_refs");

    /// <summary>Collects managed garbage and returns freed native memory to the system.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try { MallocTrim(0); } catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>Current resident set size in bytes (VmRSS).</summary>
    public static long? Rss() => Read("VmRSS:");

    /// <summary>Peak resident set size since the last reset (VmHWM).</summary>
    public static long? Peak() => Read("VmHWM:");

    /// <summary>Settles (unless <paramref name="settle"/> is false: then what malloc keeps stays counted), then makes the
    /// peak equal to the current RSS.</summary>
    public static void ResetPeak(bool settle = true)
    {
        if (settle) Settle();
        if (!Available) return;
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static long? Read(string field)
    {
        if (!Available) return null;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return null;
    }
}
