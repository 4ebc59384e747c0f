using DslUnlearn.Experiments;

namespace DslUnlearn.Tests.Dsl;

/// <summary>
/// Reads what the real dotnet build of experiments/ produced (this project references it): the generator's component
/// table must carry the help text of the runtime's XML doc comments. A build without the experiments project's
/// DslUnlearnReferenceDocs target gives empty help here, because the compiler references obj/.../ref/*.dll.
/// </summary>
public class BuildHelpTests
{
    [Fact]
    public void The_built_catalog_carries_option_help_from_xml_doc_comments()
    {
        Assert.Contains(("method", "ga", "lr", "number", "Learning rate."), ExperimentComponents.Options);
        Assert.Contains(ExperimentComponents.Options, o => o is { Kind: "method", Component: "ga", Option: "steps" } && o.Help.StartsWith("Length of the run", StringComparison.Ordinal));
        var undocumented = ExperimentComponents.Options.Where(o => o.Help.Length == 0).Select(o => $"{o.Component}.{o.Option}").ToList();
        Assert.True(undocumented.Count * 10 < ExperimentComponents.Options.Count, $"most options have no help in the build: {string.Join(", ", undocumented)}");
    }
}
