using DslUnlearn.Stats;
using ScottPlot;

namespace DslUnlearn.Reporting;

/// <summary>A rendered figure: the same plot as PNG and SVG.</summary>
public sealed record Figure(string Name, byte[] Png, string Svg);

/// <summary>
/// The paper's figures with ScottPlot (headless, SkiaSharp): ES along unlearning steps, the forget/retain ES vs
/// mixing-alpha trade-off, before-vs-after-attack robustness scatters with a fitted line and Pearson r, and a
/// bar chart of (calibrated) forget ES per method. Sized for a paper column (600 x 420 px, large fonts).
/// A figure is drawn only when its data exist.
/// </summary>
public static class Plots
{
    public const int Width = 600, Height = 420;

    /// <summary>
    /// Whether SkiaSharp finds any font. Without one, text would be missing from every figure, so the report
    /// skips the plots and says how to fix it (Debian: <c>apt-get install fonts-dejavu-core</c>).
    /// </summary>
    public static bool FontsAvailable()
    {
        try { return SkiaSharp.SKFontManager.Default.FontFamilyCount > 0; }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException) { return false; }
    }

    public static IReadOnlyList<Figure> All(ReportInput input)
    {
        var figures = new List<Figure>();
        if (input.Trajectories.Count > 0) figures.Add(Trajectory(input.Trajectories));
        if (input.Tradeoff.Count > 0) figures.Add(Tradeoff(input.Tradeoff));
        foreach (var group in input.Robustness.GroupBy(p => (p.Metric, p.Attack, p.Split)).OrderBy(g => g.Key.Metric, StringComparer.Ordinal)
                     .ThenBy(g => g.Key.Attack, StringComparer.Ordinal).ThenBy(g => g.Key.Split, StringComparer.Ordinal))
            figures.Add(Robustness(group.Key.Metric, group.Key.Attack, group.Key.Split, group.ToList()));
        var bars = ForgetBars(input);
        if (bars is not null) figures.Add(bars);
        return figures;
    }

    /// <summary>Per model, in first-seen order and one colour each, its forget ES (solid) and retain ES (dashed) over x,
    /// each point the mean over seeds. Returns the number of models.</summary>
    private static int AddForgetRetainCurves<T>(Plot plt, IReadOnlyList<T> points, Func<T, string> model, Func<T, double> x,
        Func<T, double> forget, Func<T, double> retain)
    {
        int i = 0;
        foreach (var m in points.Select(model).Distinct())
        {
            var color = Color(i++);
            var byX = points.Where(p => model(p) == m).GroupBy(x).OrderBy(g => g.Key).ToList();
            double[] xs = byX.Select(g => g.Key).ToArray();
            AddLine(plt, xs, byX.Select(g => g.Average(forget)).ToArray(), color, $"{m} forget", dashed: false, MarkerShape.FilledCircle);
            AddLine(plt, xs, byX.Select(g => g.Average(retain)).ToArray(), color, $"{m} retain", dashed: true, MarkerShape.FilledSquare);
        }
        return i;
    }

    public static Figure Trajectory(IReadOnlyList<TrajectoryPoint> points)
    {
        var plt = NewPlot("ES along unlearning", "Unlearning step", "Extraction strength (ES)");
        AddForgetRetainCurves(plt, points, p => p.Model, p => p.Step, p => p.ForgetEs, p => p.RetainEs);
        plt.Axes.SetLimitsY(-0.02, 1.05);
        plt.ShowLegend(Alignment.LowerLeft);
        return Render("es_along_unlearning", plt);
    }

    public static Figure Tradeoff(IReadOnlyList<TradeoffPoint> points)
    {
        var plt = NewPlot("Trade-off by model mixing", "Mixing weight α (0 = original, 1 = unlearned)", "Extraction strength (ES)");
        int models = AddForgetRetainCurves(plt, points, p => p.Model, p => p.Alpha, p => p.ForgetEs, p => p.RetainEs);
        plt.Axes.SetLimits(-0.02, 1.02, -0.02, 1.05);
        if (models > 2) // many methods: the legend would hide the curves, so it goes beside the plot in a smaller font
        {
            plt.Legend.FontSize = 10;
            plt.ShowLegend(Edge.Right);
            return Render("tradeoff_es_vs_alpha", plt, Width + 220);
        }
        plt.ShowLegend(Alignment.LowerLeft);
        return Render("tradeoff_es_vs_alpha", plt);
    }

    public static Figure Robustness(string metric, string attack, string split, IReadOnlyList<RobustnessPoint> points)
    {
        string m = SummaryTables.MetricTitle(metric);
        var plt = NewPlot($"{m} ({split}) under {attack}", $"{m} before attack", $"{m} after attack");
        double[] x = points.Select(p => p.Before).ToArray(), y = points.Select(p => p.After).ToArray();
        // The table's fit (RobustnessStudy.Analyze): the legend's r is the r of tables/robustness.md.
        var (_, slope, intercept, r, _) = LinearFit.Fit(x, y);
        var seen = x.Concat(y).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double lo = Math.Min(0, seen.Min()), hi = Math.Max(1, seen.Max());
        var diagonal = plt.Add.Line(lo, lo, hi, hi);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        SolidInSvg(plt, () => diagonal.LinePattern = LinePattern.Solid);
        diagonal.LegendText = "y = x (no effect)";
        var dots = plt.Add.ScatterPoints(x, y, Color(0));
        dots.MarkerSize = 9;
        dots.LegendText = $"models (n = {points.Count})";
        if (!double.IsNaN(slope))
        {
            var fit = plt.Add.Line(lo, slope * lo + intercept, hi, slope * hi + intercept);
            fit.LineColor = Color(3);
            fit.LineWidth = 2.5f;
            fit.LegendText = $"fit: y = {N(slope)} x {(intercept < 0 ? "-" : "+")} {N(Math.Abs(intercept))}, Pearson r = {N(r)}";
        }
        plt.Axes.SetLimits(lo - 0.02, hi + 0.02, lo - 0.02, hi + 0.05);
        plt.ShowLegend(Alignment.UpperLeft);
        return Render($"robustness_{Safe(metric)}_{Safe(attack)}_{Safe(split)}", plt);
    }

    /// <summary>Calibrated forget ES per method when calibration ran; otherwise forget and retain ES per model.</summary>
    public static Figure? ForgetBars(ReportInput input)
    {
        var calibrated = input.Calibrated.Where(c => c.Metric == "es_exact" && c.Split == "forget").ToList();
        if (calibrated.Count > 0)
        {
            var plt = NewPlot("Forget ES after calibration (lower is better)", "", "Forget ES at calibrated α");
            var models = calibrated.Select(c => c.Model).Distinct().ToList();
            var bars = new List<Bar>();
            for (int i = 0; i < models.Count; i++)
            {
                var v = calibrated.Where(c => c.Model == models[i]).ToList();
                double sd = Statistics.StdDev(v.Select(c => c.Value).ToList());
                bars.Add(new Bar
                {
                    Position = i, Value = v.Average(c => c.Value), FillColor = Color(i), Error = double.IsNaN(sd) ? 0 : sd,
                    Label = $"α = {N(v.Average(c => c.Alpha))}",
                });
            }
            var plot = plt.Add.Bars(bars);
            plot.ValueLabelStyle.FontSize = 14;
            Ticks(plt, models);
            plt.Axes.SetLimitsY(0, 1.1);
            return Render("calibrated_forget_es", plt);
        }
        var run = input.Runs[0];
        var names = run.Models.Select(m => m.Name).ToList();
        var forget = new List<double>();
        var retain = new List<double>();
        foreach (var name in names)
        {
            double Mean(Specs.Vocabulary.SplitKind split) => input.Runs.Select(r => r.Models.FirstOrDefault(m => m.Name == name)?.Get("es_exact", split)?.AggValue)
                .OfType<double>().DefaultIfEmpty(double.NaN).Average();
            forget.Add(Mean(Specs.Vocabulary.SplitKind.Forget));
            retain.Add(Mean(Specs.Vocabulary.SplitKind.Retain));
        }
        if (forget.All(double.IsNaN)) return null;
        var p2 = NewPlot("ES per model (uncalibrated)", "", "Extraction strength (ES)");
        var list = new List<Bar>();
        for (int i = 0; i < names.Count; i++)
        {
            list.Add(new Bar { Position = i * 3, Value = double.IsNaN(forget[i]) ? 0 : forget[i], FillColor = Color(0) });
            list.Add(new Bar { Position = i * 3 + 1, Value = double.IsNaN(retain[i]) ? 0 : retain[i], FillColor = Color(1) });
        }
        p2.Add.Bars(list);
        p2.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            names.Select((n, i) => new Tick(i * 3 + 0.5, n)).ToArray());
        p2.Axes.Bottom.TickLabelStyle.FontSize = 15;
        p2.Axes.SetLimitsY(0, 1.15);
        p2.Legend.ManualItems.Add(new LegendItem { LabelText = "forget (lower = more forgotten)", FillColor = Color(0) });
        p2.Legend.ManualItems.Add(new LegendItem { LabelText = "retain (higher = kept)", FillColor = Color(1) });
        p2.ShowLegend(Alignment.UpperRight);
        return Render("es_per_model", p2);
    }

    private static void Ticks(Plot plt, IReadOnlyList<string> labels)
    {
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(labels.Select((l, i) => new Tick(i, l)).ToArray());
        plt.Axes.Bottom.TickLabelStyle.FontSize = 15;
        if (labels.Count * labels.Max(l => l.Length) > 40) // long names (sweep cells) would overlap: slant them
        {
            plt.Axes.Bottom.TickLabelStyle.FontSize = 12;
            plt.Axes.Bottom.TickLabelStyle.Rotation = -30;
            plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plt.Axes.Bottom.MinimumSize = 20 + 4 * labels.Max(l => l.Length);
        }
    }

    private static Plot NewPlot(string title, string x, string y)
    {
        var plt = new Plot();
        plt.Title(title, 18);
        plt.XLabel(x, 16);
        plt.YLabel(y, 16);
        plt.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plt.Axes.Left.TickLabelStyle.FontSize = 13;
        plt.Legend.FontSize = 13;
        return plt;
    }

    private static void AddLine(Plot plt, double[] xs, double[] ys, ScottPlot.Color color, string label, bool dashed, MarkerShape marker)
    {
        var s = plt.Add.Scatter(xs, ys, color);
        s.LegendText = label;
        s.LineWidth = 2;
        s.MarkerSize = 7;
        s.MarkerShape = marker;
        if (dashed)
        {
            s.LinePattern = LinePattern.Dashed;
            SolidInSvg(plt, () => s.LinePattern = LinePattern.Solid);
        }
    }

    /// <summary>
    /// Skia's SVG canvas cannot draw dash path effects: it draws them solid anyway and prints "Unsupported path
    /// effect in addPaint." from native code on every stroke. Dashed lines are therefore switched to solid before the
    /// SVG is drawn (their markers and colours still tell them apart); the PNG keeps the dashes.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Plot, List<Action>> SvgFixes = new();

    private static void SolidInSvg(Plot plt, Action makeSolid) => SvgFixes.GetOrCreateValue(plt).Add(makeSolid);

    private static ScottPlot.Color Color(int i) => new ScottPlot.Palettes.Category10().GetColor(i);

    private static Figure Render(string name, Plot plt, int width = Width)
    {
        byte[] png = plt.GetImageBytes(width, Height, ImageFormat.Png);
        if (SvgFixes.TryGetValue(plt, out var fixes))
            foreach (var fix in fixes) fix();
        return new(name, png, plt.GetSvgXml(width, Height));
    }

    private static string N(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
    private static string Safe(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());
}
