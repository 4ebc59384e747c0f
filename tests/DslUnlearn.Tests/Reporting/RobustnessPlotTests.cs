using System.Globalization;
using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

public class RobustnessPlotTests
{
    /// <summary>
    /// The scatter's legend shows the table's fit. Before the statistics had one home the plot fitted all points
    /// (a NaN made its r NaN and hid the line) while the table dropped non-finite pairs.
    /// </summary>
    [Fact]
    public void Scatter_legend_shows_the_robustness_table_r_even_with_a_non_finite_point()
    {
        if (!Plots.FontsAvailable()) return; // reports skip plots without a font; covered by the report tests
        var points = new List<RobustnessPoint>
        {
            new("es_exact", "probe", "forget", "m0", 0.1, 0.30),
            new("es_exact", "probe", "forget", "m1", 0.4, 0.35),
            new("es_exact", "probe", "forget", "m2", 0.7, 0.61),
            new("es_exact", "probe", "forget", "m3", 0.9, 0.58),
            new("es_exact", "probe", "forget", "m4", double.NaN, 0.2),
        };
        var row = Assert.Single(AttackTables.Analyze(new ReportInput { Runs = [], Robustness = points }).Rows);
        Assert.Equal(4, row.N);
        Assert.InRange(row.Pearson, 0.8, 0.99);
        var figure = Plots.Robustness("es_exact", "probe", "forget", points);
        Assert.Contains($"Pearson r = {row.Pearson.ToString("0.00", CultureInfo.InvariantCulture)}", figure.Svg);
    }
}
