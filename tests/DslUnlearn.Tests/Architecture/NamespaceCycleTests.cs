namespace DslUnlearn.Tests.Architecture;

/// <summary>
/// The runtime's namespaces form a layered graph: a namespace that uses another is not used back by it,
/// directly or through others. Read from the compiled DslUnlearn.Runtime.dll (see <see cref="NamespaceGraph"/>).
/// </summary>
public class NamespaceCycleTests
{
    private static string RuntimeAssembly => typeof(DslUnlearn.Methods.Npo).Assembly.Location;

    [Fact]
    public void Runtime_namespaces_have_no_cycles()
    {
        var graph = NamespaceGraph.FromAssembly(RuntimeAssembly, "DslUnlearn");
        // The reading sees real uses (so an empty graph cannot pass): methods compute losses of models, the
        // engine's stages run the methods.
        Assert.Contains("DslUnlearn.Models", graph.Edges["DslUnlearn.Methods"].Keys);
        Assert.Contains("DslUnlearn.Methods", graph.Edges["DslUnlearn.Engine"].Keys);

        // The last known upward uses went in round four (docs/architecture.md, "Namespace layers and cycles"): the spec
        // records that hold components stay in Specs, above them; what the lower layers take moved to Specs.Vocabulary.
        Assert.Contains("DslUnlearn.Specs.Vocabulary", graph.Edges["DslUnlearn.Specs"].Keys);
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "New namespace cycles in DslUnlearn.Runtime (move the type that closes the cycle):\n"
            + string.Join("\n", cycles.Select(graph.Describe)));
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
