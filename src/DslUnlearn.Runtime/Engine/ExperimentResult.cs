using DslUnlearn.Reporting;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>Where a run wrote its outputs, and what it measured.</summary>
public sealed record ExperimentResult(string OutputDirectory, string ResultsJsonPath, string SummaryPath, RunRecord Run)
{
    /// <summary>&lt;root&gt;/&lt;experiment&gt;, or &lt;root&gt;/&lt;experiment&gt;/cells/&lt;cell&gt; for a sweep cell.</summary>
    public static string DirectoryOf(ExperimentSpec spec, string root)
        => spec.Cell is null ? Path.Combine(root, spec.Name) : Path.Combine(root, spec.Name, CellAggregation.CellFolder(spec.Cell));
}
