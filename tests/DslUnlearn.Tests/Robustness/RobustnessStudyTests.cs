using DslUnlearn.Attacks;
using DslUnlearn.Robustness;
using DslUnlearn.Stats;

namespace DslUnlearn.Tests.Robustness;

public class RobustnessStudyTests
{
    [Fact]
    public void Fit_matches_hand_computed_slope_intercept_and_pearson()
    {
        // x = 1..4, y = 2, 4, 5, 8: sxx = 5, sxy = 9.5, syy = 18.75 -> slope 1.9, intercept 4.75 - 1.9 * 2.5 = 0,
        // r = 9.5 / sqrt(5 * 18.75) = 0.981156; same order -> Spearman 1.
        var fit = LinearFit.Fit([1, 2, 3, 4], [2, 4, 5, 8]);
        Assert.Equal(4, fit.N);
        Assert.Equal(1.9, fit.Slope, 12);
        Assert.Equal(0.0, fit.Intercept, 12);
        Assert.Equal(9.5 / Math.Sqrt(93.75), fit.Pearson, 12);
        Assert.Equal(0.981156, fit.Pearson, 6);
        Assert.Equal(1.0, fit.Spearman, 12);
        // y = 1, 3, 2, 4: rank differences 0, 1, 1, 0 -> rho = 1 - 6 * 2 / (4 * 15) = 0.8; r = 0.8 too (ranks = values).
        Assert.Equal(0.8, LinearFit.Spearman([1, 2, 3, 4], [1, 3, 2, 4]), 12);
        Assert.Equal(0.8, LinearFit.Pearson([1, 2, 3, 4], [1, 3, 2, 4]), 12);
        // An exact line y = -2x + 3: r = -1, slope -2, intercept 3.
        var line = LinearFit.Fit([0, 0.5, 1], [3, 2, 1]);
        Assert.Equal((-2.0, 3.0, -1.0), (line.Slope, line.Intercept, line.Pearson));
    }

    [Fact]
    public void Ranks_share_ties_and_undefined_fits_are_nan()
    {
        Assert.Equal([3.5, 1, 3.5, 2], LinearFit.Ranks([3, 1, 3, 2]));
        var flat = LinearFit.Fit([1, 1, 1], [1, 2, 3]);
        Assert.True(double.IsNaN(flat.Slope) && double.IsNaN(flat.Pearson) && double.IsNaN(flat.Spearman));
        Assert.True(double.IsNaN(LinearFit.Fit([1], [2]).Pearson));
        // A constant y whose mean is not exactly representable: r is undefined, not 0; the slope is exactly 0.
        var flatY = LinearFit.Fit([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], [0.024, 0.024, 0.024, 0.024, 0.024, 0.024, 0.024]);
        Assert.True(double.IsNaN(flatY.Pearson));
        Assert.Equal(0.0, flatY.Slope);
        var withNan = LinearFit.Fit([1, 2, double.NaN, 3], [2, 4, 5, 6]);
        Assert.Equal((3, 2.0), (withNan.N, withNan.Slope));
        Assert.Throws<ArgumentException>(() => LinearFit.Fit([1, 2], [1]));
    }

    [Fact]
    public void Meta_evaluation_scores_follow_the_issue_formulas()
    {
        // R = min((0.1 - 0) / (0.6 - 0.2), 1) = 0.25; Q = min(0.3 / 0.6, 1) = 0.5; HM = 2 * 0.125 / 0.75 = 1/3.
        Assert.Equal(0.25, MetaEvaluation.Relearning(0, 0.1, 0.2, 0.6), 12);
        Assert.Equal(1.0, MetaEvaluation.Relearning(0, 0.9, 0.2, 0.3), 12);
        Assert.Equal(0.5, MetaEvaluation.Quantization(0.3, 0.6), 12);
        Assert.Equal(1.0, MetaEvaluation.Quantization(0.6, 0.3), 12);
        Assert.Equal(1.0 / 3, MetaEvaluation.HarmonicMean(0.25, 0.5), 12);
        Assert.True(double.IsNaN(MetaEvaluation.Relearning(0, 1, 0.5, 0.5)));
        Assert.Equal(0, MetaEvaluation.HarmonicMean(0, 0.5));
    }

    [Fact]
    public void Runner_measures_before_and_after_every_attack_fits_per_group_and_disposes_every_model()
    {
        var opened = new List<FakeModel>();
        var knowledge = new[] { 0.1, 0.4, 0.5, 0.9 };
        var models = knowledge.Select((k, i) => new RobustnessModel($"m{i}", () => { var m = new FakeModel(k); opened.Add(m); return m; }, i < 2 ? "ga" : "gd")).ToArray();
        // "em" after an input attack doubles; "es" ignores inputs. On retain both are constant 0.5 + knowledge/10.
        IReadOnlyList<MetricValue> Evaluate(ICausalLM model, Func<QaExample, QaExample>? input)
        {
            var f = (FakeModel)model;
            double factor = input is null ? 1 : 2;
            return [new("es", "forget", f.Knowledge), new("em", "forget", f.Knowledge * factor), new("es", "retain", 0.5 + f.Knowledge / 10)];
        }
        var attacks = new List<RobustnessAttack>
        {
            new("shrink", new ShrinkAttack()),                          // new model with knowledge 0.5 k + 0.1
            new("noise", new TokenNoiseAttack(new TokenNoiseOptions()), PreservesKnowledge: true),
        };
        var report = RobustnessStudy.Run(() => models, Evaluate, () => attacks, m => new AttackContext(m, new QaDataset([], [], []), null!, CPU, 1, 1e-3));

        Assert.Equal(4 * 2 * 3, report.Points.Count);
        Assert.All(opened, m => Assert.True(m.Disposed));
        Assert.Equal(4, opened.Count);
        Assert.Equal(4, ShrinkAttack.Created.Count);
        Assert.All(ShrinkAttack.Created, m => Assert.True(m.Disposed));   // attacked copies are freed right after measuring
        var shrinkEs = report.Rows.Single(r => r is { Attack: "shrink", Metric: "es", Split: "forget" });
        Assert.Equal((4, 0.5, 0.1, 1.0), (shrinkEs.N, Math.Round(shrinkEs.Slope, 12), Math.Round(shrinkEs.Intercept, 12), Math.Round(shrinkEs.Pearson, 12)));
        Assert.True(double.IsNaN(shrinkEs.SlopeDeviation));
        var noiseEm = report.Rows.Single(r => r is { Attack: "noise", Metric: "em" });
        Assert.Equal(2.0, noiseEm.Slope, 12);
        Assert.Equal(1.0, noiseEm.SlopeDeviation, 12);
        var noiseEs = report.Rows.Single(r => r is { Attack: "noise", Metric: "es", Split: "forget" });
        Assert.Equal(0.0, noiseEs.SlopeDeviation, 12);
        Assert.Equal("gd", report.Points.First(p => p.Model == "m3").Group);
        Assert.Equal(["em", "es"], report.Ranking.Select(r => r.Metric)); // both fit exactly (r = 1): ties go by name
        Assert.Contains("| noise | em | forget | 4 | 1.000 | 1.000 | 2.000 | 0.000 | 1.000 |", report.ToMarkdown());
    }

    [Fact]
    public void Analyze_ranks_metrics_by_mean_pearson()
    {
        var points = new List<RobustnessPoint>();
        double[] x = [0.1, 0.3, 0.6, 0.8];
        double[] noisy = [0.5, 0.2, 0.9, 0.3];
        for (int i = 0; i < 4; i++)
        {
            points.Add(new($"m{i}", "", "relearn", "ppl", "forget", x[i], noisy[i]));
            points.Add(new($"m{i}", "", "relearn", "es", "forget", x[i], x[i] + 0.1));
        }
        var report = RobustnessStudy.Analyze(points);
        Assert.Equal("es", report.Ranking[0].Metric);
        Assert.Equal(1.0, report.Ranking[0].MeanPearson, 12);
        Assert.Equal(LinearFit.Pearson(x, noisy), report.Ranking[1].MeanPearson, 12);
    }

    /// <summary>A model with one number standing for its knowledge; only Dispose matters to the study.</summary>
    private sealed class FakeModel(double knowledge) : ICausalLM
    {
        public double Knowledge => knowledge;
        public bool Disposed { get; private set; }
        public string Family => "fake";
        public int VocabSize => 1;
        public int HiddenSize => 1;
        public int NumLayers => 1;
        public int MaxPositions => 1;
        public nn.Module Module => throw new NotSupportedException();
        public Tensor Logits(Tensor inputIds) => throw new NotSupportedException();
        public CausalLMOutput Forward(Tensor inputIds, bool outputHiddenStates) => throw new NotSupportedException();
        public Tensor ReadOut(Tensor hidden) => throw new NotSupportedException();
        public ICausalLM Clone() => new FakeModel(knowledge);
        public void Dispose() => Disposed = true;
    }

    private sealed class ShrinkAttack : IAttack
    {
        public static readonly List<FakeModel> Created = [];
        public AttackResult Apply(AttackContext context)
        {
            var m = new FakeModel(0.5 * ((FakeModel)context.Model).Knowledge + 0.1);
            lock (Created) Created.Add(m);
            return new AttackResult(m, context.InputTransform);
        }
    }
}
