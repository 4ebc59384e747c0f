using System.Text.Json.Serialization;
using DslUnlearn.Stats;

namespace DslUnlearn.Tests.Stats;

/// <summary>
/// The statistics home against scipy's values (tests/fixtures/statistics/statistics.json, written by
/// make_fixtures.py beside it with Debian's python3-scipy; never from this code).
/// </summary>
public class ScipyFixtureTests
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly Fixture F = Load();

    // Relative tolerance (of max(1, |scipy|)): the same formulas summed in another order agree to a few ulps. A
    // one-pass Pearson (MathNet's Correlation.Pearson) misses this by 4e-10 on "large_offset".
    private const double Ulps = 2e-15;

    [Fact]
    public void Line_pearson_and_spearman_match_scipy()
    {
        Assert.True(F.Fits.Length >= 10);
        foreach (var c in F.Fits)
        {
            var fit = LinearFit.Fit(c.X, c.Y);
            Assert.True(c.N == fit.N, $"{c.Name}: n {fit.N}, scipy saw {c.N} finite pairs");
            Close(c.Name + " slope", c.Slope, fit.Slope);
            Close(c.Name + " intercept", c.Intercept, fit.Intercept);
            Close(c.Name + " pearson", c.Pearson, fit.Pearson);
            Close(c.Name + " spearman", c.Spearman, fit.Spearman);
        }
    }

    [Fact]
    public void Average_ranks_match_scipy_rankdata_exactly()
    {
        foreach (var c in F.Ranks) Assert.Equal(c.RanksExpected, LinearFit.Ranks(c.Values));
    }

    [Fact]
    public void Exact_ks_p_value_matches_scipy_ks_2samp_exact()
    {
        Assert.Contains(F.Ks, c => c.PValue < 1e-20);
        foreach (var c in F.Ks)
        {
            double p = Statistics.KsTwoSamplePValue(c.X, c.Y);
            // Our own code (MathNet has no two-sample KS test): within 1e-15 absolute, and to 1e-12 relative so
            // that tiny p-values keep their digits.
            Assert.True(Math.Abs(p - c.PValue) <= 1e-15, $"{c.Name}: p {p:R}, scipy {c.PValue:R}");
            Assert.True(Math.Abs(p - c.PValue) <= 1e-12 * c.PValue, $"{c.Name}: p {p:R}, scipy {c.PValue:R} (relative)");
        }
    }

    [Fact]
    public void Auc_matches_mann_whitney_u_over_n_m()
    {
        foreach (var c in F.Auc) Close(c.Name, c.AucExpected, Statistics.Auc(c.Negatives, c.Positives));
        Assert.True(double.IsNaN(Statistics.Auc([1, double.NaN], [2])));
    }

    [Fact]
    public void Mean_std_and_harmonic_mean_match_numpy_and_scipy()
    {
        foreach (var c in F.Descriptive)
        {
            Close("mean", c.Mean, Statistics.Mean(c.Values));
            Close("std", c.Std, Statistics.StdDev(c.Values));
        }
        foreach (var c in F.Hmean) Close("hmean", c.HmeanExpected, Statistics.HarmonicMean(c.Values));
    }

    private static void Close(string what, double? expected, double actual)
    {
        if (expected is not double e)
        {
            Assert.True(double.IsNaN(actual), $"{what}: scipy leaves it undefined, got {actual:R}");
            return;
        }
        Assert.True(Math.Abs(actual - e) <= Ulps * Math.Max(1, Math.Abs(e)), $"{what}: {actual:R}, scipy {e:R}");
    }

    private static Fixture Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var path = Path.Combine(dir!.FullName, "tests", "fixtures", "statistics", "statistics.json");
        return JsonSerializer.Deserialize<Fixture>(File.ReadAllText(path), Json)!;
    }

    private sealed record Fixture(
        FitCase[] Fits, RankCase[] Ranks,
        [property: JsonPropertyName("ks_2samp_exact")] KsCase[] Ks,
        AucCase[] Auc, DescriptiveCase[] Descriptive, HmeanCase[] Hmean);

    private sealed record FitCase(string Name, double[] X, double[] Y, int N, double? Slope, double? Intercept, double? Pearson, double? Spearman);
    private sealed record RankCase(double[] Values, [property: JsonPropertyName("ranks")] double[] RanksExpected);
    private sealed record KsCase(string Name, double[] X, double[] Y, double PValue);
    private sealed record AucCase(string Name, double[] Negatives, double[] Positives, [property: JsonPropertyName("auc")] double AucExpected);
    private sealed record DescriptiveCase(double[] Values, double Mean, double? Std);
    private sealed record HmeanCase(double[] Values, [property: JsonPropertyName("hmean")] double HmeanExpected);
}
