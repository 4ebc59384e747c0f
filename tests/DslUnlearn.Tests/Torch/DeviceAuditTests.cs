using System.Text.RegularExpressions;
using DslUnlearn.Tests.Fixtures;

namespace DslUnlearn.Tests.Torch;

/// <summary>
/// `device: auto` audit (issue 13): a CPU-only machine cannot run CUDA, so this reads the runtime's source instead.
/// Every call of a libtorch tensor factory (tensor, zeros, ones, arange, full, empty, rand, randn, randint, eye,
/// linspace) must name a device in its statement, or be one of the few made on the CPU on purpose, listed here with
/// why. Tensors derived from others (ops, *_like, views) inherit their device and need no audit.
/// </summary>
public class DeviceAuditTests
{
    private static readonly Regex Factory = new(@"(?<![\w.])(?:torch\.)?(tensor|zeros|ones|arange|full|empty|rand|randn|randint|eye|linspace)\(", RegexOptions.Compiled);

    /// <summary>(file, factory) made on the CPU on purpose, and why.</summary>
    private static readonly Dictionary<(string File, string Factory), string> OnPurpose = new()
    {
        [("Models/ModelPresets.cs", "randint")] = "seeded token ids from a CPU generator (the same ids on every device), moved to the device on return",
        [("Methods/Rmu.cs", "rand")] = "RMU's control vector from a seeded CPU generator (the same vector on every device), moved with .to(device)",
        [("Checkpoints/Safetensors.cs", "empty")] = "safetensors are read into CPU memory, then cast and moved by the loader",
        [("Engine/StoreCheckpointer.cs", "tensor")] = "the CPU generator's RNG state (a byte tensor torch.set_rng_state takes on the CPU)",
        [("Bench/BenchRunner.cs", "randn")] = "the CPU throughput benchmark (matmul GFLOP/s of this machine)",
        [("Bench/BenchRunner.cs", "tensor")] = "the CPU throughput benchmark",
    };

    /// <summary>The call from its name to its closing parenthesis (its own arguments, not a neighbour's).</summary>
    private static string Call(string text, int open)
    {
        int depth = 0, start = text.LastIndexOfAny([' ', '(', '=', '\n', '\t'], open - 1) + 1;
        for (int i = open; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return text[start..(i + 1)];
        }
        return text[start..];
    }

    [Fact]
    public void Every_tensor_factory_in_the_runtime_names_a_device_or_is_on_the_cpu_on_purpose()
    {
        string root = Path.Combine(Golden.Root, "src", "DslUnlearn.Runtime");
        var found = new HashSet<(string, string)>();
        var stray = new List<string>();
        int audited = 0;
        foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (rel.StartsWith("obj/", StringComparison.Ordinal) || rel.StartsWith("bin/", StringComparison.Ordinal)) continue;
            string text = File.ReadAllText(path);
            foreach (Match m in Factory.Matches(text))
            {
                int lineStart = text.LastIndexOf('\n', m.Index) + 1;
                string linePrefix = text[lineStart..m.Index];
                if (linePrefix.TrimStart().StartsWith("//", StringComparison.Ordinal) || linePrefix.Contains("\"")) continue; // comments, strings
                string statement = Call(text, m.Index + m.Length - 1);
                audited++;
                var key = (rel, m.Groups[1].Value);
                if (OnPurpose.ContainsKey(key)) { found.Add(key); continue; }
                if (!statement.Contains("device:", StringComparison.Ordinal))
                    stray.Add($"{rel}:{text[..m.Index].Count(c => c == '\n') + 1}: {statement.Split('\n')[0].Trim()}");
            }
        }
        Assert.True(audited > 20, $"only {audited} factory calls found: is the pattern still right?");
        Assert.True(stray.Count == 0, "tensors created without a device (pass device:, or list them in OnPurpose with why):\n" + string.Join("\n", stray));
        // The list stays true: an entry whose call is gone is removed.
        Assert.Empty(OnPurpose.Keys.Where(k => !found.Contains(k)).Select(k => $"{k.File} {k.Factory}"));
    }
}
