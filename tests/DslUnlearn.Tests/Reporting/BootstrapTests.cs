using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

/// <summary>The percentile bootstrap against numpy (same resampling indices, tests/fixtures/bootstrap) and its coverage.</summary>
public class BootstrapTests
{
    private static JsonElement Fixture()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln")))
                return JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.FullName, "tests", "fixtures", "bootstrap", "bootstrap_ci.json"))).RootElement;
        throw new FileNotFoundException("tests/fixtures/bootstrap/bootstrap_ci.json (no DslUnlearn.sln above the test binaries)");
    }

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
    private static int[][] Indices(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

    [Fact]
    public void Percentile_interval_matches_numpy_on_the_same_resampling_indices()
    {
        var f = Fixture();
        double level = f.GetProperty("level").GetDouble();
        foreach (var c in f.GetProperty("single").EnumerateArray())
        {
            var ci = Bootstrap.Percentile(Doubles(c.GetProperty("values")), Indices(c.GetProperty("indices")), level);
            Assert.Equal(c.GetProperty("low").GetDouble(), ci.Low, 12);
            Assert.Equal(c.GetProperty("high").GetDouble(), ci.High, 12);
        }
    }

    [Fact]
    public void Stratified_mean_of_means_matches_numpy_on_the_same_resampling_indices()
    {
        var f = Fixture();
        foreach (var c in f.GetProperty("stratified").EnumerateArray())
        {
            var runs = c.GetProperty("runs").EnumerateArray().Select(Doubles).ToArray();
            var indices = c.GetProperty("indices").EnumerateArray().Select(Indices).ToArray();
            int b = indices[0].Length;
            var stats = Enumerable.Range(0, b).Select(k => runs.Select((r, i) => indices[i][k].Average(j => r[j])).Average()).ToArray();
            Array.Sort(stats);
            Assert.Equal(c.GetProperty("low").GetDouble(), Bootstrap.Quantile(stats, 0.025), 12);
            Assert.Equal(c.GetProperty("high").GetDouble(), Bootstrap.Quantile(stats, 0.975), 12);
        }
    }

    [Fact]
    public void MeanOfMeans_uses_the_seeded_indices_of_each_run()
    {
        double[] a = [0.1, 0.9, 0.4, 0.4, 1.0, 0.0, 0.7], c = [0.3, 0.2, 0.8];
        var one = Bootstrap.MeanOfMeans([a], seed: 11)!;
        Assert.Equal(Bootstrap.Percentile(a, Bootstrap.Indices(a.Length, Bootstrap.Resamples, 11)), one);
        Assert.Equal(one, Bootstrap.MeanOfMeans([a], seed: 11)); // seeded: same interval every time
        Assert.NotEqual(one, Bootstrap.MeanOfMeans([a], seed: 12));
        Assert.True(one.Low <= a.Average() && a.Average() <= one.High);

        // Two runs: run r resampled with seed + r, the statistic is the mean of the two resampled means.
        var two = Bootstrap.MeanOfMeans([a, c], seed: 11)!;
        var ia = Bootstrap.Indices(a.Length, Bootstrap.Resamples, 11);
        var ic = Bootstrap.Indices(c.Length, Bootstrap.Resamples, 12);
        var stats = Enumerable.Range(0, Bootstrap.Resamples).Select(k => ia[k].Average(j => a[j]) / 2 + ic[k].Average(j => c[j]) / 2).Order().ToArray();
        Assert.Equal(Bootstrap.Quantile(stats, 0.025), two.Low, 15);
        Assert.Equal(Bootstrap.Quantile(stats, 0.975), two.High, 15);

        Assert.Null(Bootstrap.MeanOfMeans([a, []], 1));
        Assert.Null(Bootstrap.MeanOfMeans([[0.5, double.NaN]], 1));
    }

    [Fact]
    public void Ninety_five_percent_intervals_cover_the_true_mean_about_95_percent_of_the_time()
    {
        // 400 data sets of 60 draws from a known distribution (seeded, so the test is deterministic): the percentile
        // interval's coverage must lie within about 3.5 binomial standard deviations of 0.95 (it undercovers slightly at small n).
        var rng = new Random(3);
        const double trueMean = 0.3;
        int covered = 0, trials = 400;
        for (int t = 0; t < trials; t++)
        {
            var x = Enumerable.Range(0, 60).Select(_ => trueMean + 0.2 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())).ToArray();
            var ci = Bootstrap.MeanOfMeans([x], seed: t)!;
            if (ci.Low <= trueMean && trueMean <= ci.High) covered++;
        }
        double coverage = (double)covered / trials;
        Assert.InRange(coverage, 0.91, 0.985);
    }

    [Fact]
    public void Truth_ratio_gets_the_interval_of_its_own_aggregate_not_of_the_mean_of_R()
    {
        var metric = new DslUnlearn.Metrics.TruthRatioMetric(new DslUnlearn.Metrics.TruthRatioOptions());
        IReadOnlyList<double> ratios = [0.2, 1.5, 0.9, 3.0, 0.6, 1.1, 0.4, 2.2, 0.8, 1.0];
        double closer = DslUnlearn.Metrics.TruthRatio.Aggregate(ratios, "closer_to_1");
        var ci = ValueIntervals.Of([(closer, ratios)], 5, "ga|truth_ratio|forget", (metric, "forget"))!;
        Assert.True(ci.Low <= closer && closer <= ci.High);
        Assert.True(ci.High <= 1); // min(R, 1/R) <= 1, unlike the mean of R (1.17 here)

        // By hand: the same seeded indices, closer_to_1 of each resample, type-7 quantiles.
        var idx = Bootstrap.Indices(ratios.Count, Bootstrap.Resamples, Bootstrap.SeedFor(5, "ga|truth_ratio|forget"));
        var stats = idx.Select(i => DslUnlearn.Metrics.TruthRatio.Aggregate(i.Select(j => ratios[j]).ToArray(), "closer_to_1")).Order().ToArray();
        Assert.Equal(Bootstrap.Quantile(stats, 0.025), ci.Low, 15);
        Assert.Equal(Bootstrap.Quantile(stats, 0.975), ci.High, 15);

        // On retain, "auto" is true_better; an aggregate that matches neither gets no interval.
        double better = DslUnlearn.Metrics.TruthRatio.Aggregate(ratios, "true_better");
        Assert.NotNull(ValueIntervals.Of([(better, ratios)], 5, "ga|truth_ratio|retain", (metric, "retain")));
        Assert.Null(ValueIntervals.Of([(better, ratios)], 5, "ga|truth_ratio|forget", (metric, "forget")));
    }

    [Fact]
    public void Only_a_mean_aggregate_gets_an_interval()
    {
        IReadOnlyList<double> r = [0.5, 2.0, 1.0, 0.1, 0.7, 1.3, 0.2, 0.9, 1.8, 0.4];
        Assert.NotNull(ValueIntervals.Of([(r.Average(), r)], 1, "m|x|forget"));
        Assert.Null(ValueIntervals.Of([(0.7, r)], 1, "m|x|forget"));          // e.g. truth ratio's closer_to_1 over R
        Assert.Null(ValueIntervals.Of([(0.7, [])], 1, "m|x|forget"));         // aggregate-only (privleak, forget_quality)
        Assert.NotEqual(ValueIntervals.Of([(r.Average(), r)], 1, "a|x|forget"), ValueIntervals.Of([(r.Average(), r)], 1, "b|x|forget"));
    }
}
