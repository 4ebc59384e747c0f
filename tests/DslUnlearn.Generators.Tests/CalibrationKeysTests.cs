namespace DslUnlearn.Generators.Tests;

/// <summary>The calibration criterion and forget metrics named in YAML, and finetune.oracle.</summary>
public sealed class CalibrationKeysTests
{
    private const string Specs = "global::DslUnlearn.Specs.";
    private const string Metrics = "global::DslUnlearn.Metrics.";

    [Fact]
    public void Criterion_split_and_forget_metrics_construct_the_metric_components()
    {
        var run = GeneratorHarness.Run(("s.yaml",
            "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: em\n  retain_split: forget\n  forget_metrics: [rouge_l_recall, truth_ratio]\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        GeneratorHarness.AssertCompiles(run);
        var source = run.Source("s.g.cs")!;
        Assert.Contains($"RetainMetric = new {Specs}CalibrationMetric(\"em\", new {Metrics}ExactMemorizationMetric(", source);
        Assert.Contains($"RetainSplit = {Specs}Vocabulary.SplitKind.Forget,", source);
        Assert.Contains($"ForgetMetrics = global::System.Collections.Immutable.ImmutableArray.Create<{Specs}CalibrationMetric>(new {Specs}CalibrationMetric(\"rouge_l_recall\", ", source);
        Assert.Contains($"new {Specs}CalibrationMetric(\"truth_ratio\", ", source);
    }

    [Fact]
    public void Defaults_are_es_exact_on_retain_and_es_exact_es_perturb_on_forget()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\ncalibration:\n  calibrator: model_mixing\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        var source = run.Source("s.g.cs")!;
        Assert.Contains($"RetainMetric = new {Specs}CalibrationMetric(\"es_exact\", new {Metrics}EsExactMetric(new {Metrics}NoOptions())),", source);
        Assert.Contains($"RetainSplit = {Specs}Vocabulary.SplitKind.Retain,", source);
        Assert.Contains($"(\"es_exact\", new {Metrics}EsExactMetric(new {Metrics}NoOptions())), new {Specs}CalibrationMetric(\"es_perturb\", new {Metrics}EsPerturbMetric(new {Metrics}NoOptions()))", source);
        Assert.Contains("Oracle = false,", source);
    }

    [Fact]
    public void Unknown_metric_names_are_reported_at_their_line_with_did_you_mean()
    {
        var messages = GeneratorHarness.Messages(
            "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: es_exat\n  forget_metrics:\n    - es_exact\n    - es_perturbb\n",
            "DSLU0006@4,18", "DSLU0006@7,7");
        Assert.StartsWith("unknown metric 'es_exat' in calibration 'retain_metric'. Did you mean 'es_exact'?", messages[0]);
        Assert.StartsWith("unknown metric 'es_perturbb' in calibration 'forget_metrics'. Did you mean 'es_perturb'?", messages[1]);
        Assert.Contains("Valid metrics: ", messages[1]);
    }

    [Theory]
    [InlineData("nll")]
    [InlineData("perplexity")]
    public void A_lower_is_better_criterion_is_refused(string metric)
    {
        var message = GeneratorHarness.Messages($"experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: {metric}\n", "DSLU0022@4,18").Single();
        Assert.StartsWith($"'{metric}' cannot be the calibration criterion: lower is better for it", message);
    }

    /// <summary>truth_ratio's default aggregation is closer_to_1 on forget (lower = more knowledge) and true_better elsewhere.</summary>
    [Fact]
    public void Truth_ratio_is_refused_as_the_criterion_on_forget_only()
    {
        var forget = GeneratorHarness.Messages("experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: truth_ratio\n  retain_split: forget\n", "DSLU0022@4,18");
        Assert.StartsWith("'truth_ratio' cannot be the calibration criterion: lower is better for it", forget.Single());

        GeneratorHarness.Messages("experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: truth_ratio\n"); // none on retain
    }

    [Fact]
    public void Bad_split_empty_list_and_repeated_metric_are_errors()
    {
        var messages = GeneratorHarness.Messages("experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_split: retian\n  forget_metrics: [em, em]\n",
            "DSLU0006@4,17", "DSLU0019@5,24");
        Assert.StartsWith("unknown split 'retian'. Did you mean 'retain'?", messages[0]);

        GeneratorHarness.Messages("experiment: s\ncalibration:\n  calibrator: model_mixing\n  forget_metrics: []\n", "DSLU0020@4,19");
    }

    [Fact]
    public void Finetune_oracle_is_a_boolean()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nfinetune:\n  oracle: true\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        GeneratorHarness.AssertCompiles(run);
        Assert.Contains("Oracle = true,", run.Source("s.g.cs")!);

        Assert.Contains("expects true or false", GeneratorHarness.Messages("experiment: s\nfinetune:\n  oracle: yes please\n", "DSLU0004@3,11").Single());
    }
}
