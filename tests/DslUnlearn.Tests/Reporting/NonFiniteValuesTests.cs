using DslUnlearn.Calibration;
using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

/// <summary>NaN and infinity in any metric reach results.json as null with a warning naming metric, model and split; no writer throws.</summary>
public class NonFiniteValuesTests
{
    [Fact]
    public void Nan_and_infinite_values_become_null_with_a_warning_and_every_writer_succeeds()
    {
        var run = Run();
        using var buffer = new MemoryStream();
        ResultsJsonWriter.Write(buffer, run);
        using var json = JsonDocument.Parse(buffer.ToArray());
        var root = json.RootElement;
        var ga = root.GetProperty("models").GetProperty("ga");
        Assert.Equal(JsonValueKind.Null, ga.GetProperty("model_utility").GetProperty("retain").GetProperty("agg_value").ValueKind);
        var es = ga.GetProperty("es_exact").GetProperty("forget");
        Assert.Equal(0.5, es.GetProperty("agg_value").GetDouble());
        Assert.Equal(JsonValueKind.Null, es.GetProperty("value_by_index").GetProperty("1").GetProperty("score").ValueKind);
        Assert.False(es.TryGetProperty("ci_low", out _)); // no interval over a non-finite sample
        Assert.Equal(JsonValueKind.Null, root.GetProperty("finetune_final_loss").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("unlearning_curves").GetProperty("ga")[0].GetProperty("loss").ValueKind);
        var attacked = root.GetProperty("attacks").GetProperty("relearn").GetProperty("models").GetProperty("ga").GetProperty("es_exact").GetProperty("forget");
        Assert.Equal(JsonValueKind.Null, attacked.GetProperty("agg_value").ValueKind);
        var calibrated = root.GetProperty("calibration").GetProperty("ga");
        Assert.Equal(JsonValueKind.Null, calibrated.GetProperty("retain_value").ValueKind);

        var warnings = root.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains("warning: metric model_utility on model ga, split retain is NaN; results.json has null there.", warnings);
        Assert.Contains(warnings, w => w.Contains("metric es_exact on model ga, split forget has 1 non-finite per-sample value(s) of 2"));
        Assert.Contains(warnings, w => w.Contains("metric es_exact on model ga, split forget, after attack relearn is ∞") || w.Contains("after attack relearn is Infinity"));
        Assert.Contains(warnings, w => w.Contains("metric es_perturb on model ga, split forget, calibrated is NaN"));
        Assert.Equal(warnings, run.NonFiniteWarnings());

        var files = new Dictionary<string, byte[]>();
        var input = new ReportInput
        {
            Runs = [run],
            Calibrated = [new CalibratedValue("ga", 7, 0.5, "es_perturb", "forget", double.NaN)],
            Robustness = [new RobustnessPoint("es_exact", "relearn", "forget", "ga", 0.5, double.PositiveInfinity)],
        };
        ReportBuilder.Build(input, Plots.FontsAvailable(), (name, write) => { using var s = new MemoryStream(); write(s); files[name] = s.ToArray(); });
        string csv = System.Text.Encoding.UTF8.GetString(files["tables/summary.csv"]);
        Assert.Contains("\nga,0.5,,1,,,", csv); // es_exact forget: value, no std, n 1, no interval
        Assert.Contains("n/a", System.Text.Encoding.UTF8.GetString(files["summary.md"]));
        string aggregate = Path.Combine(Directory.CreateTempSubdirectory("dslu-nan-").FullName);
        try { CellAggregation.Write(aggregate, [run with { Spec = run.Spec with { Cell = "seed=7" } }, run with { Spec = run.Spec with { Cell = "seed=8", Seed = 8 } }]); }
        finally { Directory.Delete(aggregate, recursive: true); }
    }

    private static RunRecord Run()
    {
        var spec = TestSpecs.Tiny("unused") with
        {
            Metrics =
            [
                new MetricSpec { Name = "es_exact", Metric = new EsExactMetric(new NoOptions()), Splits = [SplitKind.Forget] },
                new MetricSpec { Name = "model_utility", Metric = new EsExactMetric(new NoOptions()), Splits = [SplitKind.Retain] },
            ],
        };
        var data = new QaDataset([new QaExample(0, "A", "q", "a", "p")], [], [new QaExample(0, "B", "q", "a", "p")]);
        var ga = new ModelEvaluation("ga", "unlearned", "ga",
        [
            new MetricValues("es_exact", SplitKind.Forget, [0.5, double.NaN], 0.5),
            new MetricValues("model_utility", SplitKind.Retain, [], double.NaN),
        ]);
        var attacked = new ModelEvaluation("ga", "attacked", "ga", [new MetricValues("es_exact", SplitKind.Forget, [1.0], double.PositiveInfinity)]);
        var calibration = new CalibrationResult(0.5, double.NaN, 0.9, 3, new Dictionary<string, MetricResult> { ["es_perturb"] = new(double.NaN, [double.NaN]) },
            [new CalibrationPoint(0.5, double.NaN, new Dictionary<string, double> { ["es_perturb"] = double.NaN })]);
        return new RunRecord(spec, data, 1000, double.NaN, [ga],
            new Dictionary<string, IReadOnlyList<DslUnlearn.Methods.UnlearningLoop.StepLog>> { ["ga"] = [new(1, double.NaN, double.PositiveInfinity, double.NaN)] })
        {
            Attacked = [new AttackedEvaluation("relearn", ["relearn"], "ga", attacked)],
            Calibrations = [new CalibrationRecord("ga", "model_mixing", "es_exact", calibration)],
        };
    }
}
