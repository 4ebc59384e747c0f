using System.Text.Json.Serialization;
using DslUnlearn.Robustness;

namespace DslUnlearn.Tests.Robustness;

/// <summary>
/// OpenUnlearning's faithfulness (AUC over a positive and a negative pool) and its harmonic-mean combination with R and Q,
/// against scipy (tests/fixtures/meta_eval/meta_eval.json, written by make_fixtures.py beside it; never from this code).
/// </summary>
public class MetaEvaluationFixtureTests
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };
    private static readonly Fixture F = Load();

    [Fact]
    public void Faithfulness_is_mann_whitney_u_over_n_m_with_the_metric_oriented_to_more_knowledge()
    {
        Assert.Contains(F.Faithfulness, c => c.LowerIsBetter);
        Assert.Contains(F.Faithfulness, c => c.Auc is > 0 and < 1 && c.Auc != 0.5);
        foreach (var c in F.Faithfulness)
        {
            double auc = MetaEvaluation.Faithfulness(c.Positives, c.Negatives, c.LowerIsBetter);
            Assert.True(Math.Abs(auc - c.Auc) <= 1e-15, $"{c.Name}: {auc:R}, scipy {c.Auc:R}");
        }
    }

    [Fact]
    public void Robustness_and_overall_are_scipy_harmonic_means_with_zero_for_a_score_at_or_below_zero()
    {
        Assert.Contains(F.Combine, c => c.R < 0);
        foreach (var c in F.Combine)
        {
            double robustness = MetaEvaluation.Robustness(c.R, c.Q);
            double overall = MetaEvaluation.Overall(c.Faithfulness, robustness);
            Assert.True(Math.Abs(robustness - c.Robustness) <= 2e-16 * Math.Max(1, c.Robustness), $"R {c.R}, Q {c.Q}: {robustness:R}, scipy {c.Robustness:R}");
            Assert.True(Math.Abs(overall - c.Overall) <= 4e-16, $"F {c.Faithfulness}, R {c.R}, Q {c.Q}: {overall:R}, scipy {c.Overall:R}");
        }
    }

    [Fact]
    public void A_missing_score_leaves_the_other_and_none_gives_nan()
    {
        Assert.Equal(0.7, MetaEvaluation.Robustness(double.NaN, 0.7));
        Assert.Equal(0.4, MetaEvaluation.Overall(0.4, double.NaN));
        Assert.True(double.IsNaN(MetaEvaluation.Overall(double.NaN, double.NaN)));
        Assert.True(double.IsNaN(MetaEvaluation.Faithfulness([0.3, double.NaN], [0.1], lowerIsBetter: false)));
    }

    private static Fixture Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return JsonSerializer.Deserialize<Fixture>(File.ReadAllText(Path.Combine(dir!.FullName, "tests", "fixtures", "meta_eval", "meta_eval.json")), Json)!;
    }

    private sealed record Fixture(FaithCase[] Faithfulness, CombineCase[] Combine);

    private sealed record FaithCase(string Name, double[] Positives, double[] Negatives,
        [property: JsonPropertyName("lower_is_better")] bool LowerIsBetter, double Auc);

    private sealed record CombineCase(double R, double Q, double Faithfulness, double Robustness, double Overall);
}
