using DslUnlearn.Engine;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;

namespace DslUnlearn.Pipeline;

/// <summary>What a run of every cell did: the aggregate (paths at &lt;out&gt;/&lt;experiment&gt;/), each cell's result, and the groups.</summary>
/// <param name="Result">The aggregate: results.json and summary.md of the experiment folder; its Run is the first cell's.</param>
public sealed record CellsRunResult(ExperimentResult Result, IReadOnlyList<ExperimentResult> Cells, IReadOnlyList<CellGroup> Groups);

/// <summary>
/// Experiment-level sweep cells (see <see cref="IExperiment.Cells"/>): each cell is a whole experiment, run through the
/// same runner (the staged engine by default, so stages shared between cells are computed once) into
/// &lt;out&gt;/&lt;experiment&gt;/cells/&lt;cell&gt;/, then aggregated by <see cref="CellAggregation"/> into &lt;out&gt;/&lt;experiment&gt;/.
/// A spec without experiment-level sweeps runs exactly as <see cref="Engine.StagedExperimentRunner.Run"/>.
/// </summary>
public static class ExperimentCells
{
    public static CellsRunResult Run(IReadOnlyList<ExperimentSpec> cells, RunOptions options) => Each(cells, options, (spec, o) => Engine.StagedExperimentRunner.Run(spec, o).Result);

    /// <summary>`dslunlearn report`: rebuilds every cell's report from stored artifacts (nothing is trained), then the aggregate.</summary>
    public static CellsRunResult Report(IReadOnlyList<ExperimentSpec> cells, RunOptions options)
        => Each(cells, options, (spec, o) => Engine.StagedExperimentRunner.Report(spec, o).Result);

    private static CellsRunResult Each(IReadOnlyList<ExperimentSpec> cells, RunOptions options, Func<ExperimentSpec, RunOptions, ExperimentResult> run)
    {
        if (cells.Count == 0) throw new ArgumentException("An experiment needs at least one cell.", nameof(cells));
        if (cells.Count == 1 && cells[0].Cell is null)
        {
            var single = run(cells[0], options);
            return new CellsRunResult(single, [single], []);
        }

        if (cells.Any(c => c.Cell is null) || cells.Select(c => c.Cell).Distinct().Count() != cells.Count || cells.Select(c => c.Name).Distinct().Count() != 1)
            throw new ArgumentException("Sweep cells must share one experiment name and each carry a distinct Cell id (as the generator emits them).", nameof(cells));

        var results = new List<ExperimentResult>();
        for (int i = 0; i < cells.Count; i++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            options.Progress.Message($"Cell {i + 1}/{cells.Count}: {cells[i].Cell}");
            results.Add(run(cells[i], options));
        }

        string outDir = Path.Combine(options.OutputRoot ?? cells[0].Report.Out, cells[0].Name);
        var groups = CellAggregation.Write(outDir, results.Select(r => r.Run).ToList());
        options.Progress.Message($"Wrote the aggregate of {cells.Count} cells ({groups.Count} group(s)) to {outDir}");
        var aggregate = new ExperimentResult(outDir, Path.Combine(outDir, "results.json"), Path.Combine(outDir, "summary.md"), results[0].Run);
        return new CellsRunResult(aggregate, results, groups);
    }
}
