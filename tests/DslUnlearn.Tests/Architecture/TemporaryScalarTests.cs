using Xunit.Abstractions;

namespace DslUnlearn.Tests.Architecture;

/// <summary>
/// No new temporary TorchSharp Scalars in the runtime (<see cref="ScalarSites"/>; docs/torchsharp-on-debian.md,
/// "Temporary Scalars"): the finalizer can free one while libtorch reads it, and the process dies with exit 134.
/// </summary>
public class TemporaryScalarTests(ITestOutputHelper output)
{
    /// <summary>
    /// The sites left, counted per file and member (lines move; members rarely do). Lower a count or delete a line when
    /// its sites go (the test says so); never raise one or add one to pass: hold the Scalar instead
    /// (Torch/HeldScalars.cs, a static readonly field, or <c>using var s = x.ToScalar()</c>).
    /// </summary>
    internal static readonly (string File, string Member, int Count, string Why)[] KnownSites =
    [
    ];

    private static string RuntimeDirectory([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "src", "DslUnlearn.Runtime"));

    private static IEnumerable<(string Path, string Text)> RuntimeSources()
    {
        var root = RuntimeDirectory();
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("obj/", StringComparison.Ordinal) && !f.StartsWith("bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => (f, File.ReadAllText(Path.Combine(root, f))));
    }

    [Fact]
    public void Runtime_makes_no_temporary_Scalars_but_the_known_ones()
    {
        var compilation = ScalarSites.Compile(RuntimeSources());
        // A semantic model with errors would bind calls wrongly or not at all, and then find nothing.
        var errors = ScalarSites.Errors(compilation);
        Assert.True(errors.IsEmpty, "The runtime's sources do not compile in the scan (fix the scan's references or usings):\n"
            + string.Join("\n", errors.Take(20)));
        Assert.True(compilation.SyntaxTrees.Count() > 100, "The scan read too few of the runtime's files");

        var sites = ScalarSites.Find(compilation, out var torchCalls);
        output.WriteLine($"{sites.Count} temporary-Scalar sites in src/DslUnlearn.Runtime ({torchCalls} bound TorchSharp calls):");
        Assert.True(torchCalls > 500, $"The scan bound only {torchCalls} calls to TorchSharp: it cannot see the runtime's tensor code");
        foreach (var s in sites) output.WriteLine(s.ToString());

        var problems = Ratchet(sites, KnownSites);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>What is wrong with the sites against the known list: new sites (file:line each) and counts to lower.</summary>
    internal static List<string> Ratchet(IReadOnlyList<ScalarSites.Site> sites, IEnumerable<(string File, string Member, int Count, string Why)> known)
    {
        var allowed = known.ToDictionary(k => (k.File, k.Member), k => k.Count);
        var found = sites.GroupBy(s => (s.File, s.Member)).ToDictionary(g => g.Key, g => g.ToList());
        var problems = new List<string>();
        foreach (var (key, list) in found.OrderBy(f => f.Key.File, StringComparer.Ordinal).ThenBy(f => f.Key.Member, StringComparer.Ordinal))
        {
            var limit = allowed.GetValueOrDefault(key);
            if (list.Count > limit)
                problems.Add($"{key.File} {key.Member}: {list.Count} temporary Scalars, {limit} allowed; hold them "
                    + "(Torch/HeldScalars.cs, a static readonly Scalar, or `using var s = x.ToScalar()`):\n  "
                    + string.Join("\n  ", list));
        }
        foreach (var (key, limit) in allowed.OrderBy(a => a.Key.File, StringComparer.Ordinal))
        {
            var count = found.TryGetValue(key, out var list) ? list.Count : 0;
            if (count < limit)
                problems.Add($"{key.File} {key.Member}: {count} temporary Scalars left of {limit} known; lower its count in "
                    + "KnownSites (delete the line at 0), so that the list only shrinks");
        }
        return problems;
    }

    private const string Planted = """
        using TorchSharp;
        using static TorchSharp.torch;

        static class Planted
        {
            static readonly Scalar Half = 0.5.ToScalar(), AlphaOne = 1;
            static readonly Scalar[] Many = [2.0.ToScalar(), 3.0];
            static Scalar held;

            static Tensor Step(Tensor a, Tensor b)
            {
                held = 4.0.ToScalar();
                using var two = 2.0.ToScalar();
                var held1 = a.mul(Half).add(b, AlphaOne).pow(two);
                var held2 = a - b;
                var temp1 = a + b;
                var temp2 = a * 0.5;
                var temp3 = a.mul(0.5);
                var temp4 = a.pow(3.0.ToScalar());
                var loose = 5.0.ToScalar();
                var temp5 = a.pow(loose);
                float temp6 = a.sum().ToSingle();
                float temp7 = (float)a.sum();
                var temp8 = a.clamp_min(1e-6).square();
                Func<Tensor, Tensor> temp9 = t => t.add(b);
                held2 -= 1;
                return held1 + held2;
            }
        }
        """;

    [Fact]
    public void The_scan_finds_planted_temporaries_and_passes_held_ones()
    {
        var compilation = ScalarSites.Compile([("Planted.cs", Planted)]);
        Assert.Empty(ScalarSites.Errors(compilation));
        var sites = ScalarSites.Find(compilation);
        foreach (var s in sites) output.WriteLine(s.ToString());

        var lines = Planted.Split('\n');
        int Line(string marker) => Array.FindIndex(lines, l => l.Contains(marker)) + 1;
        string[] expected =
        [
            $"{Line("temp1 =")} op_Addition(Tensor, Tensor)",
            $"{Line("temp2 =")} op_Multiply(Tensor, double)",
            $"{Line("temp3 =")} double converted",
            $"{Line("temp4 =")} ToScalar() not held",
            $"{Line("loose =")} ToScalar() not held",
            $"{Line("temp6 =")} ToSingle(Tensor)",
            $"{Line("temp7 =")} op_Explicit(Tensor)->float",
            $"{Line("temp8 =")} double converted",
            $"{Line("temp8 =")} square()",
            $"{Line("temp9 =")} add(Tensor)",
            $"{Line("held2 -=")} op_Subtraction(Tensor, int)",
            $"{Line("return held1")} op_Addition(Tensor, Tensor)",
        ];
        Assert.Equal(expected.Length, sites.Count);
        foreach (var e in expected)
        {
            var (line, what) = (int.Parse(e[..e.IndexOf(' ')]), e[(e.IndexOf(' ') + 1)..]);
            Assert.True(sites.Any(s => s.Line == line && s.Kind.Contains(what)), $"not found: line {line}: {what}");
        }
        Assert.All(sites, s => Assert.Equal("Planted.Step", s.Member));

        // The ratchet refuses them, names each site, and asks for a lower count when sites go.
        var refused = Ratchet(sites, []);
        Assert.Single(refused);
        Assert.Contains($"Planted.cs:{Line("temp1 =")} in Planted.Step", refused[0]);
        Assert.Empty(Ratchet(sites, [("Planted.cs", "Planted.Step", expected.Length, "planted")]));
        Assert.Contains("lower its count", Assert.Single(Ratchet(sites, [("Planted.cs", "Planted.Step", expected.Length + 1, "planted")])));
        Assert.Contains("Other.cs", Assert.Single(Ratchet(sites.Take(0).ToList(), [("Other.cs", "Other.M", 1, "gone")])));
    }

    [Fact]
    public void Every_hidden_member_names_a_TorchSharp_overload()
    {
        // A renamed or retyped overload (a TorchSharp upgrade) would silently stop matching: each key must exist.
        var compilation = ScalarSites.Compile([("Empty.cs", "")]);
        var torch = compilation.GetTypeByMetadataName("TorchSharp.torch")!;
        var extensions = compilation.GetTypeByMetadataName("TorchSharp.TensorExtensionMethods")!;
        IEnumerable<Microsoft.CodeAnalysis.INamedTypeSymbol> Types(Microsoft.CodeAnalysis.INamedTypeSymbol t) =>
            t.GetTypeMembers().SelectMany(Types).Prepend(t);
        var keys = Types(torch).Append(extensions)
            .SelectMany(t => t.GetMembers().OfType<Microsoft.CodeAnalysis.IMethodSymbol>())
            .Select(ScalarSites.Key).ToHashSet();
        var missing = HiddenScalarMembers.Why.Keys.Where(k => !keys.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "No such TorchSharp member: " + string.Join("; ", missing.Select(m =>
            $"{m} (overloads: {string.Join(" | ", keys.Where(k => k.StartsWith(m[..(m.IndexOf('(') + 1)], StringComparison.Ordinal)))})")));
    }
}
