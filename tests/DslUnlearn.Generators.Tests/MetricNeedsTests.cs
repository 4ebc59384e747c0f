using Runtime = DslUnlearn.Components;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// Metrics that need an input the spec does not provide are build errors (DSLU0014) at the metric's line, naming the
/// key that provides it; the needs come from the runtime's [Metric(Needs = ...)] and the wording equals the runtime's.
/// </summary>
public sealed class MetricNeedsTests
{
    private const string Tofu = "data: { source: tofu, path: ../../../shared/data/tofu, split: forget10, retain_authors: 4 }\n";

    private static GeneratorRun Run(string yaml) => GeneratorHarness.Run(("sub/t.yaml", "experiment: t\n" + yaml));

    private static string Need(string metric, Runtime.MetricNeeds need) => Runtime.MetricNeedsText.For(metric, need);

    [Fact]
    public void The_catalog_reads_each_metrics_needs_from_its_attribute()
    {
        int Needs(string name) => GeneratorHarness.RuntimeCatalog.Find(ComponentKind.Metric, name)!.Needs;
        Assert.Equal(MetricNeedsText.Oracle, Needs("forget_quality"));
        Assert.Equal(MetricNeedsText.Holdout | MetricNeedsText.Oracle, Needs("privleak"));
        Assert.Equal(MetricNeedsText.Holdout | MetricNeedsText.Oracle, Needs("mia_reference"));
        Assert.All(new[] { "mia_loss", "mia_zlib", "mia_min_k", "mia_min_k_plus_plus", "mia_gradnorm" }, m => Assert.Equal(MetricNeedsText.Holdout, Needs(m)));
        Assert.Equal(MetricNeedsText.AuxiliarySplits, Needs("model_utility"));
        Assert.Equal(0, Needs("es_exact"));
        Assert.Equal((int)Runtime.MetricNeeds.Oracle, MetricNeedsText.Oracle);
        Assert.Equal((int)Runtime.MetricNeeds.Holdout, MetricNeedsText.Holdout);
        Assert.Equal((int)Runtime.MetricNeeds.AuxiliarySplits, MetricNeedsText.AuxiliarySplits);
    }

    [Fact]
    public void The_build_error_words_each_need_as_the_runtime_does()
    {
        foreach (var need in new[] { Runtime.MetricNeeds.Oracle, Runtime.MetricNeeds.Holdout, Runtime.MetricNeeds.AuxiliarySplits })
            Assert.Equal(Runtime.MetricNeedsText.For("m", need), MetricNeedsText.For("m", (int)need));
    }

    [Fact]
    public void Forget_quality_without_an_oracle_is_an_error_at_its_line_naming_finetune_oracle()
    {
        var run = Run("metrics:\n  - metric: es_exact\n    splits: [forget]\n  - metric: forget_quality\n    splits: [forget]\n");
        Assert.Equal(new[] { "DSLU0014@5,13" }, run.Positions);
        Assert.Equal(Need("forget_quality", Runtime.MetricNeeds.Oracle), run.Diagnostics.Single().GetMessage());
        Assert.Contains("'finetune.oracle: true'", run.Diagnostics.Single().GetMessage());
        Assert.Empty(Run("finetune: { oracle: true }\nmetrics:\n  - metric: forget_quality\n    splits: [forget]\n").Positions);
    }

    [Fact]
    public void Mia_and_privleak_need_a_holdout_synthetic_data_has_one_by_default_tofu_only_with_holdout_authors()
    {
        // Synthetic: holdout_authors defaults to forget_authors, so MIA AUCs build; turning the holdout off is an error.
        Assert.Empty(Run("metrics:\n  - metric: mia_min_k\n    splits: [forget]\n").Positions);
        var off = Run("data: { holdout_authors: 0 }\nmetrics:\n  - metric: mia_min_k\n    splits: [forget]\n");
        Assert.Equal(new[] { "DSLU0014@4,13" }, off.Positions);
        Assert.Equal(Need("mia_min_k", Runtime.MetricNeeds.Holdout), off.Diagnostics.Single().GetMessage());
        // TOFU: none by default; data.holdout_authors or a data.holdout file provides it.
        var tofu = Run(Tofu + "metrics:\n  - metric: mia_loss\n    splits: [forget]\n");
        Assert.Equal(new[] { "DSLU0014@4,13" }, tofu.Positions);
        Assert.Contains("'data.holdout_authors: N'", tofu.Diagnostics.Single().GetMessage());
        Assert.Empty(Run(Tofu.Replace("retain_authors: 4", "retain_authors: 4, holdout_authors: 20") + "metrics:\n  - metric: mia_loss\n    splits: [forget]\n").Positions);
        // privleak also needs the oracle (its reference AUC, as OU reads the retain model's): both errors, one per need.
        var privleak = Run("data: { holdout_authors: 0 }\nmetrics:\n  - metric: privleak\n    splits: [forget]\n");
        Assert.Equal(new[] { "DSLU0014@4,13", "DSLU0014@4,13" }, privleak.Positions);
        Assert.Equal(new[] { Need("privleak", Runtime.MetricNeeds.Holdout), Need("privleak", Runtime.MetricNeeds.Oracle) },
            privleak.Diagnostics.Select(d => d.GetMessage()).Order(StringComparer.Ordinal));
        Assert.Empty(Run("finetune: { oracle: true }\nmetrics:\n  - metric: privleak\n    splits: [forget]\n").Positions);
    }

    [Fact]
    public void Model_utility_needs_tofus_auxiliary_splits_so_it_is_an_error_on_synthetic_data()
    {
        var run = Run("metrics:\n  - metric: model_utility\n    splits: [retain]\n");
        Assert.Equal(new[] { "DSLU0014@3,13" }, run.Positions);
        Assert.Equal(Need("model_utility", Runtime.MetricNeeds.AuxiliarySplits), run.Diagnostics.Single().GetMessage());
        Assert.Empty(Run(Tofu + "metrics:\n  - metric: model_utility\n    splits: [retain]\n").Positions);
        // The biographies testbed has them with testbed.auxiliary_splits (its own real_authors and world_facts), not without.
        const string Biographies = "data: { source: biographies }\ntestbed: { auxiliary_splits: AUX }\nmetrics:\n  - metric: model_utility\n    splits: [retain]\n";
        Assert.Empty(Run(Biographies.Replace("AUX", "true")).Positions);
        Assert.Equal(new[] { "DSLU0014@5,13" }, Run(Biographies.Replace("AUX", "false")).Positions);
    }

    [Fact]
    public void A_calibration_metric_with_an_unmet_need_is_reported_at_its_name()
    {
        var run = Run("unlearn: [{ method: ga }]\ncalibration:\n  calibrator: model_mixing\n  forget_metrics: [es_exact, forget_quality]\n");
        Assert.Equal(new[] { "DSLU0014@5,30" }, run.Positions);
    }

    [Fact]
    public void Split_keys_are_checked_where_they_are_written()
    {
        // Synthetic: retain-eval authors must leave one retain author to train on (10 authors, 2 forget: 8 retain).
        var tooMany = Run("data: { authors: 10, forget_authors: 2, retain_eval_authors: 8 }\n");
        Assert.Equal(new[] { "DSLU0017@2,62" }, tooMany.Positions);
        Assert.Contains("must be less than the 8 retain authors", tooMany.Diagnostics.Single().GetMessage());
        Assert.Empty(Run("data: { authors: 10, forget_authors: 2, retain_eval_authors: 7, holdout_authors: 3 }\n").Positions);
        // TOFU: at most retain_perturbed's 20 authors, fewer than retain_authors, and the holdout must leave them.
        Assert.Contains("at most 20 on TOFU", Run(Tofu.Replace("retain_authors: 4", "retain_eval_authors: 21")).Diagnostics.Single().GetMessage());
        Assert.Contains("must be less than retain_authors (4)", Run(Tofu.Replace("retain_authors: 4", "retain_authors: 4, retain_eval_authors: 4")).Diagnostics.Single().GetMessage());
        Assert.Contains("at most 159 for forget10", Run(Tofu.Replace("retain_authors: 4", "holdout_authors: 160")).Diagnostics.Single().GetMessage());
        // A holdout file and holdout authors exclude each other.
        var both = Run("data: { holdout_authors: 2, holdout: ../../../shared/data/tofu/retain90.json }\n");
        Assert.Contains("cannot be set together with 'holdout'", Assert.Single(both.Diagnostics).GetMessage());
    }
}
