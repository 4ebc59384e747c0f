namespace DslUnlearn.Tests.Architecture;

/// <summary>
/// The runtime's namespaces form a layered graph: a namespace that uses another is not used back by it,
/// directly or through others. Read from the compiled DslUnlearn.Runtime.dll (see <see cref="NamespaceGraph"/>).
/// </summary>
public class NamespaceCycleTests
{
    private static string RuntimeAssembly => typeof(DslUnlearn.Methods.Npo).Assembly.Location;

    /// <summary>
    /// The upward uses that still close cycles, each a redesign rather than a move (docs/architecture.md, "Namespace
    /// cycles"). Without them the graph has no cycle. Remove a line when its use goes; never add one to pass.
    /// </summary>
    private static readonly (string From, string To, string Why)[] KnownUpwardUses =
    [
        ("Specs", "Attacks", "AttackStep holds the IAttack instance the generator builds"),
        ("Specs", "Calibration", "CalibrationSpec holds the ICalibrator"),
        ("Specs", "Methods", "UnlearnSpec holds the IUnlearningMethod"),
        ("Specs", "Metrics", "MetricSpec and CalibrationSpec hold IMetric instances"),
    ];

    [Fact]
    public void Runtime_namespaces_have_no_cycles_but_the_known_ones()
    {
        var graph = NamespaceGraph.FromAssembly(RuntimeAssembly, "DslUnlearn");
        // The reading sees real uses (so an empty graph cannot pass): methods compute losses of models, the
        // engine's stages run the methods.
        Assert.Contains("DslUnlearn.Models", graph.Edges["DslUnlearn.Methods"].Keys);
        Assert.Contains("DslUnlearn.Methods", graph.Edges["DslUnlearn.Engine"].Keys);

        var known = KnownUpwardUses.Select(k => ("DslUnlearn." + k.From, "DslUnlearn." + k.To)).ToHashSet();
        var stale = known.Where(k => !graph.Edges.TryGetValue(k.Item1, out var t) || !t.ContainsKey(k.Item2)).ToList();
        Assert.True(stale.Count == 0, "These known upward uses are gone; delete their lines from KnownUpwardUses: "
            + string.Join(", ", stale.Select(s => $"{s.Item1} -> {s.Item2}")));

        var rest = graph.Without(known);
        var cycles = rest.Cycles();
        Assert.True(cycles.Count == 0, "New namespace cycles in DslUnlearn.Runtime (move the type that closes the cycle):\n"
            + string.Join("\n", cycles.Select(rest.Describe)));
    }

    [Fact]
    public void Strongly_connected_components_are_found()
    {
        var graph = new Dictionary<string, IEnumerable<string>>
        {
            ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A", "D"], ["D"] = ["E"], ["E"] = ["D"], ["F"] = ["A"],
        };
        var cycles = NamespaceGraph.StronglyConnected(graph);
        Assert.Equal([["A", "B", "C"], ["D", "E"]], cycles.Select(c => c.ToArray()).ToArray());
        Assert.Empty(NamespaceGraph.StronglyConnected(new Dictionary<string, IEnumerable<string>> { ["A"] = ["B"], ["B"] = ["C"] }));
    }
}
