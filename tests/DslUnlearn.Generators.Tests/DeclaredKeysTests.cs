namespace DslUnlearn.Generators.Tests;

/// <summary>The top-level keys, declared once by [Option] / [CompositionKey] on ExperimentSpec (docs/spec-keys.md).</summary>
public sealed class DeclaredKeysTests
{
    private static GeneratorRun Run(string yaml) => GeneratorHarness.Run(("spec.yaml", yaml));

    [Fact]
    public void The_top_level_keys_are_read_from_the_experiment_spec_attributes()
    {
        var root = SpecSchema.Create(GeneratorHarness.RuntimeCatalog).Root;
        Assert.Equal(new[] { "experiment", "description", "seed", "device", "data", "model", "prompt", "finetune", "unlearn", "attacks", "metrics", "calibration",
            "testbed", "meta_eval", "report", "extends", "vars", "fragments", "sweep" }, root.UserKeys(null).Select(k => k.Key));
        var experiment = root.Find("experiment")!;
        Assert.Equal(("Name", true, "^[a-z][a-z0-9_-]*$"), (experiment.Property, experiment.Required, experiment.Pattern));
        Assert.Equal(SpecValueKind.SourceFile, root.Keys.Single(k => !k.IsUserKey).Kind);
        Assert.Equal((SpecValueKind.Components, ComponentKind.Method, "an 'unlearn' item"), (root.Find("unlearn")!.Kind, root.Find("unlearn")!.ComponentItems, root.Find("unlearn")!.Section!.DisplayName));
        Assert.True(root.Find("calibration")!.Nullable);
        Assert.Equal("source", root.Find("data")!.Section!.Discriminator); // the schema's rules stay attached
        Assert.NotEmpty(root.Find("model")!.Section!.Checks);
        Assert.Equal("'meta_eval'", root.Find("meta_eval")!.Section!.DisplayName);
        Assert.Equal(new[] { "extends", "vars", "fragments", "sweep" }, root.Keys.Where(k => k.Kind == SpecValueKind.Composition).Select(k => k.Key));
        Assert.Equal(new[] { "base", "include", "inherits" }, root.Find("extends")!.Aliases);
    }

    [Fact]
    public void Name_sets_are_the_choices_of_the_enum_members_or_the_string_property_and_survive_the_catalog_data()
    {
        foreach (var catalog in new[] { GeneratorHarness.RuntimeCatalog, CatalogData.Read(CatalogData.Write(GeneratorHarness.RuntimeCatalog)) })
        {
            var root = SpecSchema.Create(catalog).Root;
            var device = root.Find("device")!.Components!;
            Assert.Equal(("device", "global::DslUnlearn.Specs.Vocabulary.DeviceKind"), (device.Kind, device.EnumType));
            Assert.Equal(new[] { ("auto", "Auto"), ("cpu", "Cpu"), ("cuda", "Cuda") }, device.Members.Select(m => (m.Name, m.Member)));
            Assert.Equal(new[] { "gpu" }, device.Find("cuda")!.Aliases);
            Assert.Equal("the first CUDA GPU", device.Find("cuda")!.Help);
            var preset = root.Find("model")!.Section!.Find("preset")!.Components!; // a string key: [Choice] on the property
            Assert.Equal(("preset", null, "tiny-llama"), (preset.Kind, preset.EnumType, preset.ValidNames));
            Assert.Equal(new[] { "llama", "tiny_llama" }, preset.Find("tiny-llama")!.Aliases);
            var splits = root.Find("metrics")!.Section!.Find("splits")!; // a list: its items' set
            Assert.Equal("forget, retain", splits.Item!.Components!.ValidNames);
        }

        var typo = Run("experiment: t\nmodel: {dtype: bf17}\n");
        Assert.Contains(typo.Diagnostics, d => d.Id == "DSLU0006" && d.GetMessage().Contains("Did you mean 'bfloat16'?") && d.GetMessage().Contains("Valid dtypes: float32, bfloat16, float16"));
    }

    [Fact]
    public void A_negative_seed_is_refused_at_its_line_from_the_declared_range()
    {
        Assert.Contains("'seed' must be >= 0", GeneratorHarness.Messages("experiment: t\nseed: -1\n", "DSLU0005@2,7").Single());
    }

    [Fact]
    public void The_items_fixed_keys_are_read_from_their_records()
    {
        var schema = SpecSchema.Create(GeneratorHarness.RuntimeCatalog);
        Assert.Equal(new[] { "name", "method", "sweep" }, schema.UnlearnItem.Keys.Select(k => k.Key));
        Assert.Equal(new[] { "metric", "splits" }, schema.MetricItem.Keys.Select(k => k.Key));
        Assert.Equal(new[] { "name", "attack", "chain", "sweep" }, schema.AttackItem.Keys.Select(k => k.Key)); // [ItemKey("attack", Before = "chain")]
        Assert.Equal(new[] { "attack" }, schema.AttackStep.Keys.Select(k => k.Key));
        Assert.Equal(new[] { "calibrator", "retain_metric", "retain_split", "forget_metrics" }, schema.CalibrationSection.Keys.Select(k => k.Key));
        var splits = schema.MetricItem.Find("splits")!;
        Assert.Equal((SpecValueKind.List, true, true, "[forget, retain]", SpecValueKind.Component), (splits.Kind, splits.NonEmpty, splits.Distinct, splits.Default, splits.Item!.Kind));
        Assert.Same(schema.AttackStep, schema.AttackItem.Find("chain")!.Section);
        Assert.Equal((SpecValueKind.String, "es_exact"), (schema.CalibrationSection.Find("retain_metric")!.Kind, schema.CalibrationSection.Find("retain_metric")!.Default));
        Assert.Equal(SpecValueKind.String, schema.CalibrationSection.Find("forget_metrics")!.Item!.Kind);
        Assert.True(schema.UnlearnItem.Find("method")!.Required);
    }

    [Fact]
    public void Discriminators_item_sweeps_and_the_chain_are_the_records_and_survive_the_catalog_data()
    {
        // [Option(Discriminator = true)], [ItemKey("attack", Discriminator = true)], [ItemKey("sweep", Sweep = true)] and the
        // chain's element record: SpecSchema.cs names none of them, and validate (the catalog data) reads the same.
        foreach (var catalog in new[] { GeneratorHarness.RuntimeCatalog, CatalogData.Read(CatalogData.Write(GeneratorHarness.RuntimeCatalog)) })
        {
            var schema = SpecSchema.Create(catalog);
            Assert.Equal(new[] { "source", "method", "metric", "attack", "attack", "calibrator" },
                new[] { schema.Root.Find("data")!.Section!, schema.UnlearnItem, schema.MetricItem, schema.AttackItem, schema.AttackStep, schema.CalibrationSection }.Select(s => s.Discriminator));
            Assert.Equal(new[] { "an 'unlearn' item", "a 'metrics' item", "an 'attacks' item", "a 'chain' item", "'calibration'" },
                new[] { schema.UnlearnItem, schema.MetricItem, schema.AttackItem, schema.AttackStep, schema.CalibrationSection }.Select(s => s.DisplayName));
            foreach (var item in new[] { schema.UnlearnItem, schema.AttackItem })
            {
                var sweep = item.Find("sweep")!;
                Assert.Equal((true, SpecValueKind.Section, null, false), (sweep.IsItemSweep, sweep.Kind, sweep.Section, sweep.Sweepable));
                Assert.Equal(new[] { "grid", "sweeps" }, sweep.Aliases);
                Assert.StartsWith("option -> list of values", sweep.Help);
            }

            Assert.Null(schema.MetricItem.Find("sweep"));
            Assert.Equal(("global::DslUnlearn.Specs.AttackStep", "Attack"), (schema.AttackStep.CSharpType, schema.AttackStep.ComponentProperty));
        }
    }

    [Fact]
    public void Item_fixed_keys_keep_their_located_errors()
    {
        var run = Run("experiment: t\nmetrics:\n  - metric: es_exact\n    splits: [forget, forget]\ncalibration:\n  calibrator: model_mixing\n  retain_split: holdout\n");
        var messages = run.Diagnostics.Select(d => d.GetMessage()).ToList();
        Assert.Contains(run.Positions, p => p.EndsWith("@4,22", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'forget'") && m.Contains("list each value once"));
        Assert.Contains(run.Positions, p => p.EndsWith("@7,17", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown split 'holdout'"));
    }
}
