using DslUnlearn.Tests.Metrics;

namespace DslUnlearn.Tests.Fixtures;

/// <summary>tests/fixtures/gradnorm: OpenUnlearning's GradNorm attack (l1, l2, linf) on a character bigram model.</summary>
public class GradNormFixtureTests
{
    [Fact]
    public void Gradnorm_scores_match_the_reference()
    {
        var f = Golden.Load("gradnorm/gradnorm.json");
        Golden.AssertVersions(f);
        using var model = Golden.Bigram(f.GetProperty("W"));
        var cases = f.GetProperty("cases").EnumerateArray().ToArray();
        var examples = Golden.Examples(cases);
        var ctx = Kit.Ctx(model, examples);
        foreach (var norm in new[] { "l1", "l2", "linf" })
        {
            var scores = new MiaGradNormMetric(new GradNormOptions { Norm = norm }).Scores(ctx, model, examples);
            for (int i = 0; i < cases.Length; i++)
            {
                double expected = cases[i].GetProperty(norm).GetDouble();
                Assert.True(Math.Abs(expected - scores[i]) <= 1e-5 * Math.Max(1, expected), $"{norm} case {i}: expected {expected:R}, got {scores[i]:R}");
            }
        }
    }
}
