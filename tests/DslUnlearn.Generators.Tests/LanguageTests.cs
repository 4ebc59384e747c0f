namespace DslUnlearn.Generators.Tests;

/// <summary>Component discovery, composition (extends, fragments, references), sweeps, typed values and their diagnostics.</summary>
public sealed class LanguageTests
{
    private static GeneratorRun RunWithTestComponents(params (string FileName, string Text)[] files)
        => GeneratorHarness.Run(
            files.Select(f => (AdditionalText)new InMemoryAdditionalText(GeneratorHarness.PathOf(f.FileName), f.Text)).ToArray(),
            withTestComponents: true);

    // ---- component discovery ----

    [Fact]
    public void A_method_defined_only_in_a_test_assembly_is_usable_and_checked()
    {
        var run = RunWithTestComponents(("s.yaml",
            "experiment: s\nunlearn:\n  - method: scaled_ga\n    temperature: 2\n    token_selection: high_loss\n    clip: true\n    lr: 5%\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        GeneratorHarness.AssertCompiles(run);
        Assert.Contains(
            "Method = new global::DslUnlearn.Generators.Tests.TestComponents.ScaledGradientAscent(new global::DslUnlearn.Generators.Tests.TestComponents.ScaledGaOptions " +
            "{ Lr = 0.05, Temperature = 2.0, TokenSelection = global::DslUnlearn.Generators.Tests.TestComponents.TokenSelection.HighLoss, Clip = true }),",
            run.Source("s.g.cs"));

        // The same YAML without the test assembly: the method is unknown.
        var without = GeneratorHarness.Run(("s.yaml", "experiment: s\nunlearn:\n  - method: scaled_ga\n"));
        Assert.Equal(new[] { "DSLU0006@3,13" }, without.Positions);

        // With it, its options are checked: range, type, enum, unknown key.
        var bad = RunWithTestComponents(("s.yaml",
            "experiment: s\nunlearn:\n  - method: scaled_ga\n    temperature: 0\n    token_selection: hi_loss\n    clip: 3\n    temprature: 1\n"));
        Assert.Equal(new[] { "DSLU0005@4,18", "DSLU0006@5,22", "DSLU0004@6,11", "DSLU0003@7,5" }, bad.Positions);
        Assert.Equal("'temperature' must be > 0, got 0; set it to a value > 0", bad.Diagnostics[0].GetMessage());
        Assert.Equal("'token_selection' expects one of all, high_loss, got string 'hi_loss'. Did you mean 'high_loss'?", bad.Diagnostics[1].GetMessage());
        Assert.StartsWith("unknown key 'temprature' in an 'unlearn' item. Did you mean 'temperature'? Valid keys for method 'scaled_ga': name, method, lr, steps, epochs, batch_size, gradient_accumulation, warmup_steps, weight_decay, max_grad_norm, optimizer, seed_offset, checkpoint_every, forget_temperature, token_loss_fraction, gradient_checkpointing, temperature, token_selection, clip, shards, sweep",
            bad.Diagnostics[3].GetMessage());
    }

    [Fact]
    public void The_catalog_reads_names_options_ranges_and_help_from_references()
    {
        var catalog = ComponentReader.Read(GeneratorHarness.CreateCompilation(true), CancellationToken.None);
        Assert.Empty(catalog.Problems);
        var scaled = catalog.Find(ComponentKind.Method, "scaled_ga")!;
        Assert.Equal("global::DslUnlearn.Generators.Tests.TestComponents.ScaledGradientAscent", scaled.TypeName);
        Assert.Equal(
            new[]
            {
                "name", "lr", "steps", "epochs", "batch_size", "gradient_accumulation", "warmup_steps", "weight_decay", "max_grad_norm", "optimizer",
                "seed_offset", "checkpoint_every", "forget_temperature", "token_loss_fraction", "gradient_checkpointing", // inherited from UnlearnOptions, base first
                "temperature", "token_selection", "clip", "shards",
            },
            scaled.Options.Select(o => o.Key));
        var temperature = scaled.Find("temperature")!;
        Assert.Equal((SpecValueKind.Number, 0.0, true), (temperature.Kind, temperature.Min!.Value, temperature.MinExclusive));
        Assert.Equal("Temperature that divides the logits before the loss.", temperature.Help); // XML doc comment
        Assert.Equal("which answer tokens enter the loss", scaled.Find("token_selection")!.Help); // [Option(Help = ...)]
        Assert.False(scaled.Find("shards")!.Sweepable);
        Assert.True(catalog.Find(ComponentKind.Attack, "noise")!.Find("tokens")!.Required);
        Assert.Equal(
            new[] { "dpo", "ga", "gd", "idk_kl", "idk_po", "kl", "npo", "npo_gd", "npo_kl", "rmu", "scaled_ga", "simnpo", "wga" },
            catalog.OfKind(ComponentKind.Method).Select(c => c.Name));
        Assert.Equal(new[] { "answer_prob", "answer_prob_normalized", "em", "es_bisection", "es_exact", "es_perturb", "es_similar", "forget_quality", "mia_gradnorm", "mia_loss", "mia_min_k", "mia_min_k_plus_plus", "mia_reference", "mia_zlib", "model_utility", "nll", "perplexity", "privleak", "retain_utility", "rouge_l_f1", "rouge_l_recall", "truth_ratio" }, catalog.OfKind(ComponentKind.Metric).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(
            new[] { "jailbreak", "noise", "probe", "quantize", "relearn", "test_relearn", "token_noise" },
            catalog.OfKind(ComponentKind.Attack).Select(c => c.Name));
        Assert.Equal(new[] { "mix", "model_mixing" }, catalog.OfKind(ComponentKind.Calibrator).Select(c => c.Name));

        // Equal inputs give equal catalogs (the generator caches on this).
        Assert.Equal(catalog, ComponentReader.Read(GeneratorHarness.CreateCompilation(true), CancellationToken.None));
    }

    [Theory]
    [InlineData("unlearn:\n  - method: gd\n    learning_rate: 1e-4\n", "learning_rate", "lr")]
    [InlineData("unlearn:\n  - method: npo\n    lr_rate: 1e-4\n", "lr_rate", "lr")]
    [InlineData("unlearn:\n  - method: ga\n    max_steps: 5\n", "max_steps", "steps")]
    [InlineData("unlearn:\n  - method: ga\n    n_steps: 5\n", "n_steps", "steps")]
    [InlineData("unlearn:\n  - method: ga\n    bs: 4\n", "bs", "batch_size")]
    [InlineData("unlearn:\n  - method: gd\n    retain_coef: 2\n", "retain_coef", "retain_weight")]
    [InlineData("unlearn:\n  - method: gd\n    sweep: { gamma: [1, 2] }\n", "gamma", "retain_weight")]
    [InlineData("unlearn:\n  - method: npo_gd\n    sweep: { alpha: [1, 2] }\n", "alpha", "retain_weight")]
    [InlineData("unlearn:\n  - method: dpo\n    b: 0.2\n", "b", "beta")]
    [InlineData("unlearn:\n  - method: simnpo\n    sweep: { b: [1, 2] }\n", "b", "beta")]
    [InlineData("attacks:\n  - attack: relearn\n    learning_rate: 1e-4\n", "learning_rate", "lr")]
    [InlineData("attacks:\n  - attack: relearn\n    num_steps: 3\n", "num_steps", "steps")]
    [InlineData("attacks:\n  - attack: relearn\n    batch: 3\n", "batch", "batch_size")]
    public void Common_option_spellings_suggest_the_option(string yaml, string written, string option)
    {
        // [Option(Aliases = ...)] on the options (until the fifth round a table in SpecBinder.Components.cs).
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\n" + yaml));
        var message = Assert.Single(run.Diagnostics).GetMessage();
        Assert.Contains($"unknown key '{written}' in ", message);
        Assert.Contains($". Did you mean '{option}'?", message);
    }

    [Fact]
    public void Every_option_with_a_common_key_declares_its_spellings()
    {
        // The spellings the binder's table gave every option of these keys; an option's own key (wga's alpha) is not its alias.
        var common = new Dictionary<string, string[]>
        {
            ["lr"] = ["learning_rate", "lr_rate"], ["steps"] = ["max_steps", "num_steps", "n_steps"], ["batch_size"] = ["bs", "batch"],
            ["retain_weight"] = ["retain_coef", "alpha", "gamma"], ["beta"] = ["b"],
        };
        var checkedOptions = 0;
        foreach (var component in GeneratorHarness.RuntimeCatalog.Components)
        {
            foreach (var option in component.Options.Where(o => common.ContainsKey(o.Key)))
            {
                var expected = common[option.Key].Where(a => component.Find(a) is null);
                Assert.True(expected.SequenceEqual(option.Aliases), $"{component.Name}.{option.Key}: [{string.Join(", ", option.Aliases)}]");
                checkedOptions++;
            }
        }

        Assert.True(checkedOptions >= 20, $"only {checkedOptions} options checked");
    }

    [Fact]
    public void Item_records_are_built_in_their_declaration_order_from_keys_component_and_cell()
    {
        // The binder fills each declared key's property, the component's and the cell's, in the record's order (SectionInfo.Properties).
        foreach (var catalog in new[] { GeneratorHarness.RuntimeCatalog, CatalogData.Read(CatalogData.Write(GeneratorHarness.RuntimeCatalog)) })
        {
            var schema = SpecSchema.Create(catalog);
            static string Layout(SpecSection section) => string.Join(", ", section.Properties) + " | " + (section.ComponentProperty ?? "-");
            Assert.Equal("Name, MethodName, Method, Cell | Method", Layout(schema.UnlearnItem));
            Assert.Equal("Name, Metric, Splits | Metric", Layout(schema.MetricItem));
            Assert.Equal("Name, Chain, Cell | -", Layout(schema.AttackItem));
            Assert.Equal("Name, Attack | Attack", Layout(schema.AttackStep));
            Assert.Equal("Name, Calibrator, RetainMetric, RetainSplit, ForgetMetrics | Calibrator", Layout(schema.CalibrationSection));
        }

        var model = GeneratorHarness.Compile(GeneratorHarness.PathOf("s.yaml"),
            "experiment: s\nunlearn:\n  - method: gd\n    lr: [1e-4, 2e-4]\nmetrics:\n  - {metric: em, splits: [forget]}\n", "s.yaml", GeneratorHarness.Context()).Model!;
        var unlearn = (SpecList)model.Spec.Get("Unlearn")!;
        var second = (SpecObject)unlearn.Items[1];
        Assert.Equal(new[] { "Name", "MethodName", "Method", "Cell" }, second.Properties.Select(p => p.Name));
        Assert.Equal((new SpecString("gd[lr=2e-4]"), new SpecString("gd"), new SpecString("lr=2e-4")), (second.Get("Name"), second.Get("MethodName"), second.Get("Cell")));
        var metric = (SpecObject)((SpecList)model.Spec.Get("Metrics")!).Items[0];
        Assert.Equal(new[] { "Name", "Metric", "Splits" }, metric.Properties.Select(p => p.Name));
    }

    [Fact]
    public void Section_keys_are_read_from_option_attributes_on_the_spec_records()
    {
        // data:, model:, finetune:, prompt: and report: are declared once, by [Option] on their records (DataSpec, ModelSpec, ...).
        var catalog = GeneratorHarness.RuntimeCatalog;
        var finetune = catalog.Section("global::DslUnlearn.Specs.Vocabulary.FinetuneSpec")!;
        Assert.Equal(new[] { "epochs", "lr", "batch_size", "weight_decay", "warmup_steps", "max_grad_norm", "oracle", "gradient_checkpointing", "length_groups" },
            finetune.Keys.Select(k => k.Key));
        var lr = finetune.Keys.Single(k => k.Key == "lr");
        Assert.Equal((SpecValueKind.Number, 0.0, true, "3e-3", "AdamW learning rate"), (lr.Kind, lr.Min!.Value, lr.MinExclusive, lr.Default, lr.Help));
        Assert.Equal(new[] { "learning_rate" }, lr.Aliases);
        var warmup = finetune.Keys.Single(k => k.Key == "warmup_steps");
        Assert.Equal(SpecValueKind.StepCount, warmup.Kind);
        Assert.StartsWith("linear warm-up steps", warmup.Help); // [Option(Help)] wins over the record's XML doc

        var schema = SpecSchema.Create(catalog);
        var section = schema.Root.Find("finetune")!.Section!;
        Assert.Equal(finetune.Keys.Select(k => k.Key), section.Keys.Select(k => k.Key));
        Assert.Equal(new SpecRange(0, true, null), section.Find("lr")!.Range);
        Assert.Equal(new[] { "question_tag", "answer_tag" }, schema.Root.Find("prompt")!.Section!.Keys.Select(k => k.Key));
        Assert.Equal(new[] { "out", "intervals" }, schema.Root.Find("report")!.Section!.Keys.Select(k => k.Key));

        // model: name sets, a path that excludes the architecture keys, a default taken from another key.
        var model = schema.Root.Find("model")!.Section!;
        Assert.Equal(catalog.Section("global::DslUnlearn.Specs.ModelSpec")!.Keys.Select(k => k.Key), model.Keys.Select(k => k.Key));
        Assert.Equal((SpecValueKind.Component, "preset"), (model.Find("preset")!.Kind, model.Find("preset")!.Components!.Kind));
        Assert.Equal("global::DslUnlearn.Specs.Vocabulary.ModelDtype", model.Find("dtype")!.Components!.EnumType);
        var checkpoint = model.Find("checkpoint")!;
        Assert.Equal((SpecValueKind.Path, true, "~"), (checkpoint.Kind, checkpoint.Nullable, checkpoint.Default));
        Assert.Contains("hidden_size", checkpoint.Excludes);
        Assert.Equal("heads", model.Find("kv_heads")!.DefaultFrom);
        Assert.Empty(model.Find("hidden_size")!.Excludes);

        // data: keys of one data source only, and the value emitted for the others.
        var data = schema.Root.Find("data")!.Section!;
        Assert.Equal((true, true, true), (data.Find("path")!.Required, data.Find("path")!.Nullable, data.Find("retain_authors")!.Nullable));
        Assert.Equal(new[] { "tofu" }, data.Find("path")!.OnlyFor);
        Assert.Equal("~", data.Find("split")!.Inapplicable);
        Assert.Equal(new[] { "synthetic", "biographies" }, data.Find("authors")!.OnlyFor);
        Assert.Empty(data.Find("holdout_authors")!.OnlyFor);

        // A misspelt key still gets "did you mean" from the attribute's aliases.
        var typo = GeneratorHarness.Compile(GeneratorHarness.PathOf("s.yaml"), "experiment: t\nfinetune:\n  learning_rate: 1e-3\n", "s.yaml", GeneratorHarness.Context());
        Assert.Contains("Did you mean 'lr'?", typo.Diagnostics.Single().Message);
    }

    [Theory]
    [InlineData("RetainWeight", "retain_weight")]
    [InlineData("Lr", "lr")]
    [InlineData("KLBeta", "kl_beta")]
    [InlineData("Es2Exact", "es2_exact")]
    public void Option_keys_are_snake_case(string property, string key) => Assert.Equal(key, ComponentCatalog.SnakeCase(property));

    [Fact]
    public void Attacks_single_and_chain_and_calibration_construct_components()
    {
        var run = RunWithTestComponents(("s.yaml",
            "experiment: s\n" +
            "attacks:\n" +
            "  - attack: test_relearn\n    lr: [1e-5, 1e-4]\n" +
            "  - name: noisy-relearn\n    chain:\n      - attack: noise\n        tokens: 3\n      - attack: test_relearn\n" +
            "calibration:\n  calibrator: mix\n  tau: 90%\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        GeneratorHarness.AssertCompiles(run);
        var source = run.Source("s.g.cs")!;
        Assert.Contains("Name = \"test_relearn[lr=1e-5]\",", source);
        Assert.Contains("Name = \"test_relearn[lr=1e-4]\",", source);
        Assert.Contains("Name = \"noisy-relearn\",", source);
        Assert.Contains("Attack = new global::DslUnlearn.Generators.Tests.TestComponents.NoiseAttack(new global::DslUnlearn.Generators.Tests.TestComponents.NoiseOptions { Tokens = 3 }),", source);
        Assert.Contains("Calibrator = new global::DslUnlearn.Generators.Tests.TestComponents.MixCalibrator(new global::DslUnlearn.Generators.Tests.TestComponents.MixOptions { Tau = 0.9 }),", source);

        var bad = RunWithTestComponents(("s.yaml",
            "experiment: s\nattacks:\n  - attack: noise\n  - chain:\n      - attack: test_relearn\n        lr: [1, 2]\ncalibration:\n  calibrator: mix\n  tau: 2\n"));
        Assert.Equal(new[] { "DSLU0007@3,13", "DSLU0009@6,13", "DSLU0005@9,8" }, bad.Positions);
        Assert.StartsWith("attack 'noise' needs 'tokens' (an integer)", bad.Diagnostics[0].GetMessage());
    }

    [Fact]
    public void Unknown_attack_gets_did_you_mean_and_the_valid_names()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nattacks:\n  - attack: relearnn\n"));
        Assert.Equal(new[] { "DSLU0006@3,13" }, run.Positions);
        var message = run.Diagnostics[0].GetMessage();
        Assert.StartsWith("unknown attack 'relearnn'. Did you mean 'relearn'?", message);
        Assert.Contains("quantize", message);
    }

    // ---- sweeps ----

    [Fact]
    public void List_values_and_sweep_blocks_give_one_cell_per_combination_with_stable_ids()
    {
        var run = GeneratorHarness.Run(("s.yaml",
            "experiment: s\nunlearn:\n" +
            "  - method: gd\n    lr: [1e-4, 2e-4]\n    retain_weight: [1, 2]\n" +
            "  - method: ga\n    sweep:\n      lr: [1e-4, 2e-4, 4e-4]\n      steps: [5, 10, 20]\n      zip: [lr, steps]\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        GeneratorHarness.AssertCompiles(run);
        var names = System.Text.RegularExpressions.Regex.Matches(run.Source("s.g.cs")!, "Name = \"([^\"]+)\",\\s+MethodName").Select(m => m.Groups[1].Value);
        Assert.Equal(new[]
        {
            "gd[lr=1e-4,retain_weight=1]", "gd[lr=1e-4,retain_weight=2]", "gd[lr=2e-4,retain_weight=1]", "gd[lr=2e-4,retain_weight=2]",
            "ga[lr=1e-4,steps=5]", "ga[lr=2e-4,steps=10]", "ga[lr=4e-4,steps=20]",
        }, names);
        Assert.Contains("Cell = \"lr=2e-4,retain_weight=1\",", run.Source("s.g.cs"));
    }

    [Theory]
    [InlineData("  - method: gd\n    name: [a, b]\n", "DSLU0009@4,11", "'name' cannot be swept (its option is marked Sweepable = false); give one value")]
    [InlineData("  - method: gd\n    sweep:\n      lr: [1e-4]\n      steps: [1, 2]\n      zip: [lr, steps]\n", "DSLU0028@7,12", "zipped keys need lists of the same length: lr has 1, steps has 2")]
    [InlineData("  - method: gd\n    lr: 1e-4\n    sweep:\n      lr: [1e-4]\n", "DSLU0025@6,7", "'lr' is set twice: in the item and in 'sweep'; keep one")]
    [InlineData("  - method: gd\n    sweep:\n      lr: 1e-4\n", "DSLU0024@5,11", "'lr' in 'sweep' expects a list of values (e.g. 'lr: [a, b]'), got number 1e-4; a single value goes in the item itself")]
    [InlineData("  - method: gd\n    lr: []\n", "DSLU0026@4,9", "the sweep of 'lr' has no values; list at least one")]
    [InlineData("  - method: gd\n    lr: [1e-4, 0]\n", "DSLU0005@4,16", "'lr' must be > 0, got 0; set it to a value > 0")]
    public void Sweep_diagnostics(string item, string position, string message)
        => Assert.Equal(message, GeneratorHarness.Messages("experiment: s\nunlearn:\n" + item, position).Single());

    [Fact]
    public void Sweeps_are_refused_in_metrics_and_on_plain_sections()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nmetrics:\n  - metric: em\n    sweep: {}\nprompt:\n  answer_tag: [a, b]\n"));
        Assert.Equal(new[] { "DSLU0009@4,5", "DSLU0009@6,15" }, run.Positions);
        Assert.Equal("a 'metrics' item cannot be swept; list the splits under 'splits:' instead", run.Diagnostics[0].GetMessage());
        Assert.Equal("'answer_tag' cannot be swept: it expects a string, got a list (sweeps apply to seed, to numbers and names from a fixed list in data, model and finetune, and to the options of 'unlearn' and 'attacks' items); give one value", run.Diagnostics[1].GetMessage());
    }

    // ---- composition ----

    [Fact]
    public void Extends_deep_merges_later_wins_lists_replace()
    {
        const string Base =
            "model:\n  hidden_size: 64\n  layers: 1\nfinetune:\n  epochs: 3\n  lr: 1e-3\nunlearn:\n  - method: ga\n  - method: gd\n";
        var run = GeneratorHarness.Run(("base/tiny.yaml", Base),
            ("child.yaml", "extends: base/tiny.yaml\nexperiment: child\nfinetune:\n  epochs: 5\nunlearn:\n  - method: gd\n    lr: 3e-4\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        Assert.Equal(new[] { "ExperimentCatalog.g.cs", "child.g.cs" }, run.HintNames.OrderBy(h => h, StringComparer.Ordinal)); // base/ is not an experiment
        var source = run.Source("child.g.cs")!;
        Assert.Contains("HiddenSize = 64,", source);
        Assert.Contains("Layers = 1,", source);
        Assert.Contains("Epochs = 5,", source);
        Assert.Contains("Lr = 0.001,", source);
        Assert.DoesNotContain("GradientAscent", source);
        Assert.Contains("GdOptions { Lr = 0.0003 }", source);
    }

    [Fact]
    public void Extends_errors_point_at_the_extends_line_and_into_base_files()
    {
        var missing = GeneratorHarness.Run(("a.yaml", "experiment: a\nextends: base/nope.yaml\n"));
        Assert.Equal(new[] { "DSLU0010@2,10" }, missing.Positions);
        Assert.StartsWith("extends: file 'base/nope.yaml' not found (looked for base/nope.yaml)", missing.Diagnostics[0].GetMessage());

        var cycle = GeneratorHarness.Run(("base/x.yaml", "extends: y.yaml\nseed: 1\n"), ("base/y.yaml", "extends: x.yaml\n"), ("a.yaml", "experiment: a\nextends: base/x.yaml\n"));
        var d = Assert.Single(cycle.Diagnostics);
        Assert.Equal("DSLU0010@1,10", GeneratorRun.Format(d));
        Assert.Equal(GeneratorHarness.PathOf("base/y.yaml"), d.Location.GetLineSpan().Path);
        Assert.StartsWith("extends cycle: base/x.yaml -> base/y.yaml -> base/x.yaml", d.GetMessage());

        // A bad value inherited from a base is reported in the base file.
        var inherited = GeneratorHarness.Run(("base/b.yaml", "seed: -1\n"), ("a.yaml", "experiment: a\nextends: base/b.yaml\n"));
        var e = Assert.Single(inherited.Diagnostics);
        Assert.Equal(("DSLU0005@1,7", GeneratorHarness.PathOf("base/b.yaml")), (GeneratorRun.Format(e), e.Location.GetLineSpan().Path));
    }

    [Fact]
    public void Fragments_vars_and_references()
    {
        var run = GeneratorHarness.Run(("s.yaml",
            "experiment: s\n" +
            "vars:\n  lr: 2e-4\n" +
            "fragments:\n  short: { steps: 5, batch_size: 8 }\n  strong-gd: { use: short, method: gd, retain_weight: 2 }\n" +
            "description: forget ${data.forget_authors} of ${data.authors}; $${literal}\n" +
            "data: { authors: 10, forget_authors: 2 }\n" +
            "finetune:\n  lr: ${vars.lr}\n" +
            "unlearn:\n  - use: strong-gd\n    lr: ${vars.lr}\n  - method: ga\n    steps: ${unlearn.0.steps}\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        var source = run.Source("s.g.cs")!;
        Assert.Contains("Description = \"forget 2 of 10; ${literal}\",", source);
        Assert.Contains("Lr = 0.0002,", source);
        Assert.Contains("GdOptions { Lr = 0.0002, Steps = 5, BatchSize = 8, RetainWeight = 2.0 }", source);
        Assert.Contains("GaOptions { Steps = 5 }", source);
    }

    [Theory]
    [InlineData("finetune:\n  lr: ${vars.lrr}\nvars: { lr: 1 }\n", "DSLU0012@3,7", "unknown reference '${vars.lrr}': 'vars' has no key 'lrr'. Did you mean 'lr'? Keys there: lr; references point at values written in this spec, its bases or 'vars:' (not at defaults)")]
    [InlineData("seed: ${seed}\n", "DSLU0012@2,7", "reference cycle: ${seed} -> ${seed}; a value cannot refer to itself")]
    [InlineData("unlearn:\n  - use: gdd\nfragments: { gd: { method: gd } }\n", "DSLU0012@3,10", "unknown fragment 'gdd'. Did you mean 'gd'? Defined fragments: gd")]
    [InlineData("description: x ${model}\nmodel: { layers: 1 }\n", "DSLU0012@2,14", "'${model}' is a mapping and cannot be part of a string; reference it alone ('key: ${model}')")]
    [InlineData("description: ${model}\nmodel: { layers: 1 }\n", "DSLU0004@2,14", "'description' expects a string, got mapping")]
    public void Reference_diagnostics(string yaml, string position, string message)
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\n" + yaml));
        Assert.Contains(position, run.Positions);
        Assert.Contains(message, run.Diagnostics.Select(d => d.GetMessage()));
    }

    // ---- typed values ----

    [Fact]
    public void Tofu_and_checkpoint_paths_are_resolved_from_the_spec_file_and_checked()
    {
        var run = GeneratorHarness.Run(("sub/t.yaml",
            "experiment: t\ndata: { source: tofu, path: ../../../shared/data/tofu, split: forget05 }\nmodel:\n  checkpoint: ../../models/phi\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        var source = run.Source("t.g.cs")!;
        Assert.Contains("Source = global::DslUnlearn.Specs.Vocabulary.DataSource.Tofu,", source);
        Assert.Contains("Path = \"../shared/data/tofu\",", source); // relative to the repository root (/project)
        Assert.Contains("Split = \"forget05\",", source);
        Assert.Contains("Checkpoint = \"models/phi\",", source);

        var bad = GeneratorHarness.Run(("t.yaml",
            "experiment: t\ndata: { source: tofu, path: /etc, split: forget50, authors: 3 }\nmodel:\n  checkpoint: ../../../../x\n  layers: 3\n"));
        Assert.Equal(new[] { "DSLU0011@2,29", "DSLU0006@2,42", "DSLU0003@2,52", "DSLU0011@4,15", "DSLU0016@5,3" }, bad.Positions);
        Assert.StartsWith("'path' '/etc' resolves to /etc, outside the allowed roots (/project, /shared/data)", bad.Diagnostics[0].GetMessage());
        Assert.EndsWith("Valid TOFU splits: forget01, forget05, forget10", bad.Diagnostics[1].GetMessage());
        Assert.StartsWith("'authors' is not an option of data source 'tofu'", bad.Diagnostics[2].GetMessage());
        Assert.StartsWith("'layers' cannot be set together with 'checkpoint'", bad.Diagnostics[4].GetMessage());

        var missing = GeneratorHarness.Run(("t.yaml", "experiment: t\ndata: { source: tofu }\n"));
        Assert.Equal(new[] { "DSLU0007@2,9" }, missing.Positions);
    }

    [Fact]
    public void Tofu_retain_authors_is_optional_ranged_and_only_for_tofu()
    {
        var run = GeneratorHarness.Run(("sub/t.yaml",
            "experiment: t\ndata: { source: tofu, path: ../../../shared/data/tofu, split: forget01, retain_authors: 4 }\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        Assert.Contains("RetainAuthors = 4,", run.Source("t.g.cs")!);

        var all = GeneratorHarness.Run(("sub/t.yaml", "experiment: t\ndata: { source: tofu, path: ../../../shared/data/tofu }\n"));
        Assert.Contains("RetainAuthors = null,", all.Source("t.g.cs")!);

        var bad = GeneratorHarness.Run(("sub/t.yaml",
            "experiment: t\ndata: { source: tofu, path: ../../../shared/data/tofu, retain_authors: 0 }\n"),
            ("u.yaml", "experiment: u\ndata: { source: synthetic, retain_authors: 4 }\n"));
        Assert.Equal(new[] { "DSLU0005", "DSLU0003" }, bad.Diagnostics.Select(d => d.Id));
        Assert.StartsWith("'retain_authors' is not an option of data source 'synthetic'", bad.Diagnostics[1].GetMessage());
    }

    [Fact]
    public void Percentages_are_numbers()
    {
        var run = GeneratorHarness.Run(("t.yaml", "experiment: t\nfinetune:\n  weight_decay: 1%\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        Assert.Contains("WeightDecay = 0.01,", run.Source("t.g.cs"));
    }
}
