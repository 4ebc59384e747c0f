namespace DslUnlearn.Generators.Tests;

/// <summary>The calibration criterion and forget metrics named in YAML, and finetune.oracle.</summary>
public sealed class CalibrationKeysTests
{
    private const string Specs = "global::DslUnlearn.Specs.";
    private const string Metrics = "global::DslUnlearn.Metrics.";

    private static void AssertCompiles(GeneratorRun run)
    {
        Assert.Null(run.Single.Exception);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
    }

    [Fact]
    public void Criterion_split_and_forget_metrics_construct_the_metric_components()
    {
        var run = GeneratorHarness.Run(("s.yaml",
            "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: em\n  retain_split: forget\n  forget_metrics: [rouge_l_recall, truth_ratio]\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        AssertCompiles(run);
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
        var run = GeneratorHarness.Run(("s.yaml",
            "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: es_exat\n  forget_metrics:\n    - es_exact\n    - es_perturbb\n"));
        Assert.Equal(new[] { "DSLU0006@4,18", "DSLU0006@7,7" }, run.Positions);
        Assert.StartsWith("unknown metric 'es_exat' in calibration 'retain_metric'. Did you mean 'es_exact'?", run.Diagnostics[0].GetMessage());
        Assert.StartsWith("unknown metric 'es_perturbb' in calibration 'forget_metrics'. Did you mean 'es_perturb'?", run.Diagnostics[1].GetMessage());
        Assert.Contains("Valid metrics: ", run.Diagnostics[1].GetMessage());
    }

    [Theory]
    [InlineData("nll")]
    [InlineData("perplexity")]
    public void A_lower_is_better_criterion_is_refused(string metric)
    {
        var run = GeneratorHarness.Run(("s.yaml", $"experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: {metric}\n"));
        Assert.Equal(new[] { "DSLU0022@4,18" }, run.Positions);
        Assert.StartsWith($"'{metric}' cannot be the calibration criterion: lower is better for it", run.Diagnostics[0].GetMessage());
    }

    /// <summary>truth_ratio's default aggregation is closer_to_1 on forget (lower = more knowledge) and true_better elsewhere.</summary>
    [Fact]
    public void Truth_ratio_is_refused_as_the_criterion_on_forget_only()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: truth_ratio\n  retain_split: forget\n"));
        Assert.Equal(new[] { "DSLU0022@4,18" }, run.Positions);
        Assert.StartsWith("'truth_ratio' cannot be the calibration criterion: lower is better for it", run.Diagnostics[0].GetMessage());

        var retain = GeneratorHarness.Run(("s.yaml", "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_metric: truth_ratio\n"));
        Assert.Empty(retain.Positions);
    }

    [Fact]
    public void Bad_split_empty_list_and_repeated_metric_are_errors()
    {
        var run = GeneratorHarness.Run(("s.yaml",
            "experiment: s\ncalibration:\n  calibrator: model_mixing\n  retain_split: retian\n  forget_metrics: [em, em]\n"));
        Assert.Equal(new[] { "DSLU0006@4,17", "DSLU0019@5,24" }, run.Positions);
        Assert.StartsWith("unknown split 'retian'. Did you mean 'retain'?", run.Diagnostics[0].GetMessage());

        var empty = GeneratorHarness.Run(("s.yaml", "experiment: s\ncalibration:\n  calibrator: model_mixing\n  forget_metrics: []\n"));
        Assert.Equal(new[] { "DSLU0020@4,19" }, empty.Positions);
    }

    [Fact]
    public void Finetune_oracle_is_a_boolean()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nfinetune:\n  oracle: true\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        AssertCompiles(run);
        Assert.Contains("Oracle = true,", run.Source("s.g.cs")!);

        var bad = GeneratorHarness.Run(("s.yaml", "experiment: s\nfinetune:\n  oracle: yes please\n"));
        Assert.Equal(new[] { "DSLU0004@3,11" }, bad.Positions);
        Assert.Contains("expects true or false", bad.Diagnostics[0].GetMessage());
    }
}
