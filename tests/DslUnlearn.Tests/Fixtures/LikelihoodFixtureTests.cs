using DslUnlearn.Tests.Metrics;

namespace DslUnlearn.Tests.Fixtures;

/// <summary>
/// tests/fixtures/likelihood: OpenUnlearning's probability, avg loss (EOS counted), truth ratio, normalised
/// probability, Min-K, Min-K++, ES and EM, computed by a Python script on a bigram model that
/// <see cref="BigramLM"/> reproduces exactly; here the runtime's scorer and formulas must give the same numbers.
/// </summary>
public class LikelihoodFixtureTests
{
    private const double Tol = 1e-6;
    private static readonly JsonElement F = Golden.Load("likelihood/likelihood.json");

    private static BigramLM Model() => Golden.Bigram(F.GetProperty("W"));

    private static (EncodedQa Row, JsonElement Expected)[] Rows()
        => F.GetProperty("rows").EnumerateArray().Select(r => (new EncodedQa(Golden.Ints(r.GetProperty("ids")),
            r.GetProperty("prompt_length").GetInt32(), r.GetProperty("answer_length").GetInt32()), r.GetProperty("expected"))).ToArray();

    private static double E(JsonElement e, string name) => e.GetProperty(name).GetDouble();

    [Fact]
    public void Fixture_records_the_component_versions_it_was_checked_at()
    {
        Golden.AssertVersions(F);
    }

    [Fact]
    public void Probability_and_avg_loss_count_eos_by_default_and_drop_it_on_request()
    {
        using var model = Model();
        var rows = Rows();
        var with = AnswerScorer.Score(model, rows.Select(r => r.Row).ToArray(), 4, CPU, 0, includeEos: true);
        var without = AnswerScorer.Score(model, rows.Select(r => r.Row).ToArray(), 4, CPU, 0, includeEos: false);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(E(rows[i].Expected, "avg_loss"), with[i].MeanNll, Tol);
            Assert.Equal(E(rows[i].Expected, "prob"), Math.Exp(-with[i].MeanNll), Tol);
            Assert.Equal(E(rows[i].Expected, "avg_loss_no_eos"), without[i].MeanNll, Tol);
            Assert.Equal(Golden.Doubles(rows[i].Expected.GetProperty("token_log_probs_no_eos")), without[i].LogProbs, new ToleranceComparer(Tol));
        }
    }

    [Fact]
    public void Es_with_the_one_token_floor_em_and_es_without_floor_match_exactly()
    {
        using var model = Model();
        var rows = Rows();
        var scores = Evaluator.Evaluate(model, rows.Select(r => r.Row).ToArray(), 3, CPU, 0);
        var stats = AnswerScorer.Score(model, rows.Select(r => r.Row).ToArray(), 3, CPU, 0);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(E(rows[i].Expected, "es"), scores.EsExact[i]);
            Assert.Equal(E(rows[i].Expected, "em"), scores.Em[i]);
            Assert.Equal(E(rows[i].Expected, "es_zero_floor"), ExtractionStrength.FromPredictions(stats[i].Predicted, stats[i].Answer, zeroFloor: true));
        }
    }

    [Fact]
    public void Min_k_and_min_k_plus_plus_drop_eos_and_match()
    {
        using var model = Model();
        var rows = Rows();
        var stats = AnswerScorer.Score(model, rows.Select(r => r.Row).ToArray(), 5, CPU, 0, moments: true);
        for (int i = 0; i < rows.Length; i++)
            foreach (double k in new[] { 0.4, 0.2 })
            {
                Assert.Equal(E(rows[i].Expected, $"min_k_{k}"), MiaMetric.MinK(stats[i].LogProbs, k), Tol);
                Assert.Equal(E(rows[i].Expected, $"min_k_pp_{k}"), MiaMinKPlusPlusMetric.Score(stats[i], k), Tol);
            }
    }

    [Fact]
    public void Truth_ratio_its_aggregates_and_normalised_probability_match()
    {
        using var model = Model();
        var rows = Rows();
        var with = AnswerScorer.Score(model, rows.Select(r => r.Row).ToArray(), 4, CPU, 0, includeEos: true).Select(s => s.MeanNll).ToArray();
        var without = AnswerScorer.Score(model, rows.Select(r => r.Row).ToArray(), 4, CPU, 0).Select(s => s.MeanNll).ToArray();
        var ratios = new List<double>();
        foreach (var g in F.GetProperty("truth_ratio_groups").EnumerateArray())
        {
            int t = g.GetProperty("true").GetInt32();
            var ps = Golden.Ints(g.GetProperty("perturbed"));
            double r = TruthRatio.FromNlls(with[t], ps.Select(p => with[p]).ToArray());
            ratios.Add(r);
            Assert.Equal(E(g, "ratio"), r, Tol);
            Assert.Equal(E(g, "ratio_no_eos"), TruthRatio.FromNlls(without[t], ps.Select(p => without[p]).ToArray()), Tol);
            Assert.Equal(E(g, "prob_w_options"), NormalizedAnswerProbabilityMetric.FromNlls(with[t], ps.Select(p => with[p]).ToArray()), Tol);
            Assert.Equal(E(g, "prob_w_options_no_eos"), NormalizedAnswerProbabilityMetric.FromNlls(without[t], ps.Select(p => without[p]).ToArray()), Tol);
        }
        Assert.Equal(F.GetProperty("truth_ratio_closer_to_1").GetDouble(), TruthRatio.Aggregate(ratios, "closer_to_1"), Tol);
        Assert.Equal(F.GetProperty("truth_ratio_true_better").GetDouble(), TruthRatio.Aggregate(ratios, "true_better"), Tol);
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double x) => 0;
    }
}
