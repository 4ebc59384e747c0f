using DslUnlearn.Experiments;

namespace DslUnlearn.Tests.Dsl;

/// <summary>
/// Reads what the real dotnet build of experiments/ produced (this project references it): the generator's component
/// catalog must carry the help text of the runtime's XML doc comments. A build without the experiments project's
/// DslUnlearnReferenceDocs target gives empty help here, because the compiler references obj/.../ref/*.dll.
/// </summary>
public class BuildHelpTests
{
    [Fact]
    public void The_built_catalog_carries_option_help_from_xml_doc_comments()
    {
        using var doc = JsonDocument.Parse(ExperimentComponents.Catalog);
        var options = doc.RootElement.GetProperty("components").EnumerateArray()
            .SelectMany(c => c.GetProperty("options").EnumerateArray().Select(o => (
                Kind: c.GetProperty("kind").GetString(), Component: c.GetProperty("name").GetString(), Option: o.GetProperty("key").GetString(), Help: o.GetProperty("help").GetString()!)))
            .ToList();
        Assert.Contains(("Method", "ga", "lr", "Learning rate."), options);
        Assert.Contains(options, o => o is { Kind: "Method", Component: "ga", Option: "steps" } && o.Help.StartsWith("Length of the run", StringComparison.Ordinal));
        var undocumented = options.Where(o => o.Help.Length == 0).Select(o => $"{o.Component}.{o.Option}").ToList();
        Assert.True(undocumented.Count * 10 < options.Count, $"most options have no help in the build: {string.Join(", ", undocumented)}");
    }
}
