namespace DslUnlearn.Generators.Tests;

/// <summary>Each diagnostic of the catalog, with its exact 1-based line and column (as dotnet build prints them).</summary>
public sealed class DiagnosticTests
{
    private static GeneratorRun Run(string yaml) => GeneratorHarness.Run(("spec.yaml", yaml));

    private static Diagnostic Only(GeneratorRun run, string expectedPosition)
    {
        Assert.Equal(new[] { expectedPosition }, run.Positions);
        var diagnostic = run.Diagnostics.Single();
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(GeneratorHarness.PathOf("spec.yaml"), diagnostic.Location.GetLineSpan().Path);
        Assert.Null(run.Single.Exception);
        Assert.Equal(new[] { "ExperimentCatalog.g.cs" }, run.HintNames);
        return diagnostic;
    }

    /// <summary>
    /// Replaces {methods} by every runtime method name in ordinal order, so that the lists in messages stay exact
    /// as methods are added; The_catalog_reads_names_options_ranges_and_help_from_references pins the names themselves.
    /// </summary>
    private static string WithMethods(string message)
    {
        var names = GeneratorHarness.RuntimeCatalog.OfKind(ComponentKind.Method).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Contains("ga", names);
        Assert.Contains("gd", names);
        var metrics = GeneratorHarness.RuntimeCatalog.OfKind(ComponentKind.Metric).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Contains("es_exact", metrics);
        Assert.Contains("em", metrics);
        return message.Replace("{methods}", string.Join(", ", names)).Replace("{metrics}", string.Join(", ", metrics));
    }

    [Theory]
    [InlineData("experiment: t\nunlearn: [ga, gd\n", "DSLU0001@3,1")] // unclosed flow sequence
    [InlineData("experiment: t\nmodel:\n  layers: 2\n heads: 4\n", "DSLU0001@4,2")] // bad indentation
    public void DSLU0001_syntax_error(string yaml, string position)
        => Assert.StartsWith("YAML syntax error", Only(Run(yaml), position).GetMessage());

    [Fact]
    public void DSLU0001_two_documents()
    {
        var d = Only(Run("experiment: t\n---\nexperiment: u\n"), "DSLU0001@2,1");
        Assert.Contains("exactly one YAML document", d.GetMessage());
    }

    /// <summary>DSLU0002 (a duplicate key never lets the last one win) and DSLU0003 (unknown keys, with a suggestion where one is close, and the valid keys).</summary>
    [Theory]
    [InlineData("experiment: t\nseed: 1\nfinetune:\n  lr: 1e-3\n  lr: 2e-3\n", "DSLU0002@5,3",
        "duplicate key 'lr' (first defined at line 4, column 3); a key may appear only once in a mapping, remove one of them")]
    [InlineData("experiment: t\nfinetune:\n  epochs: 3\n  lrr: 0.1\n", "DSLU0003@4,3",
        "unknown key 'lrr' in 'finetune'. Did you mean 'lr'? Valid keys: epochs, lr, batch_size, weight_decay, warmup_steps, max_grad_norm, oracle, gradient_checkpointing, length_groups")]
    [InlineData("experiment: t\nunlearn:\n  - method: ga\n    lerning_rate: 1e-4\n", "DSLU0003@4,5", // a misspelled alias suggests the real key
        "unknown key 'lerning_rate' in an 'unlearn' item. Did you mean 'lr'? Valid keys for method 'ga': name, method, lr, steps, epochs, batch_size, gradient_accumulation, warmup_steps, weight_decay, max_grad_norm, optimizer, seed_offset, checkpoint_every, forget_temperature, token_loss_fraction, gradient_checkpointing, sweep")]
    [InlineData("experiment: t\nzzz: 1\n", "DSLU0003@2,1", // no suggestion
        "unknown key 'zzz' in the top level. Valid keys: experiment, description, seed, device, data, model, prompt, finetune, unlearn, attacks, metrics, calibration, testbed, meta_eval, report, extends, vars, fragments, sweep")]
    public void DSLU0002_and_DSLU0003_duplicate_and_unknown_keys(string yaml, string position, string message)
        => Assert.Equal(message, Only(Run(yaml), position).GetMessage());

    [Fact]
    public void DSLU0003_retain_weight_is_not_an_option_of_ga()
    {
        var d = Only(Run("experiment: t\nunlearn:\n  - method: ga\n    retain_weight: 1.0\n"), "DSLU0003@4,5");
        // The owners are every runtime method with a retain_weight option, in name order; ga, npo and rmu have none.
        var owners = GeneratorHarness.RuntimeCatalog.OfKind(ComponentKind.Method).Where(c => c.Find("retain_weight") is not null)
            .Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Contains("gd", owners);
        Assert.Contains("npo_gd", owners);
        Assert.DoesNotContain("ga", owners);
        Assert.DoesNotContain("npo", owners);
        Assert.DoesNotContain("rmu", owners);
        Assert.Equal(
            "'retain_weight' is not an option of method 'ga' (only of methods " + string.Join(", ", owners.Select(o => $"'{o}'")) + "). " +
            "Valid keys for method 'ga': name, method, lr, steps, epochs, batch_size, gradient_accumulation, warmup_steps, weight_decay, max_grad_norm, optimizer, seed_offset, checkpoint_every, forget_temperature, token_loss_fraction, gradient_checkpointing, sweep",
            d.GetMessage());
    }

    [Theory]
    [InlineData("experiment: t\nseed: \"5\"\n", "DSLU0004@2,7", "'seed' expects an integer, got quoted string \"5\"; remove the quotes: quoted values are strings")]
    [InlineData("experiment: t\nseed: 1.5\n", "DSLU0004@2,7", "'seed' expects an integer, got number 1.5; use a whole number")]
    [InlineData("experiment: t\ndata:\n  authors: many\n", "DSLU0004@3,12", "'authors' expects an integer, got string 'many'")]
    [InlineData("experiment: t\nmodel: [1, 2]\n", "DSLU0004@2,8", "'model' expects a mapping, got list; write its keys indented under 'model:' without '-'")]
    [InlineData("experiment: t\nunlearn:\n  method: ga\n", "DSLU0004@3,3", "'unlearn' expects a list, got mapping; start each item with '- '")]
    [InlineData("experiment: t\nunlearn:\n  - ga\n", "DSLU0004@3,5", "each item of 'unlearn' expects a mapping (e.g. '- method: ...'), got string 'ga'")]
    [InlineData("experiment: t\nseed:\n", "DSLU0004@2,1", "'seed' expects an integer, got null; write a value or remove the key to use the default (default 0)")]
    [InlineData("experiment: t\nreport:\n  out: {a: 1}\n", "DSLU0004@3,8", "'out' expects a string, got mapping")]
    [InlineData("- experiment: t\n", "DSLU0004@1,1", "a spec must be a mapping at the top level (experiment:, data:, model:, ...), got list")]
    public void DSLU0004_wrong_type(string yaml, string position, string message)
        => Assert.Equal(message, Only(Run(yaml), position).GetMessage());

    [Theory]
    [InlineData("experiment: t\ndata:\n  authors: 1\n", "DSLU0005@3,12", "'authors' must be in 2..1000, got 1; set it to a value in 2..1000 (default 20)")]
    [InlineData("experiment: t\nfinetune:\n  lr: 0\n", "DSLU0005@3,7", "'lr' must be > 0, got 0; set it to a value > 0 (default 3e-3)")]
    [InlineData("experiment: t\nseed: 99999999999\n", "DSLU0005@2,7", "'seed' must be a 32-bit integer (-2147483648..2147483647), got 99999999999; use a value >= 0 (default 0)")]
    [InlineData("experiment: t\nunlearn:\n  - method: ga\n    token_loss_fraction: 0\n", "DSLU0005@4,26", "'token_loss_fraction' must be > 0 and <= 1, got 0; set it to a value > 0 and <= 1")]
    [InlineData("experiment: t\nunlearn:\n  - method: ga\n    token_loss_fraction: 1.5\n", "DSLU0005@4,26", "'token_loss_fraction' must be > 0 and <= 1, got 1.5; set it to a value > 0 and <= 1")]
    public void DSLU0005_out_of_range(string yaml, string position, string message)
        => Assert.Equal(message, Only(Run(yaml), position).GetMessage());

    /// <summary>
    /// Problems that DSLU0005 (out of range) and DSLU0009 (not sweepable) once shared have their own IDs, one
    /// descriptor each (AnalyzerReleases.Unshipped.md); each is triggered from YAML here.
    /// </summary>
    [Theory]
    [InlineData("experiment: Quick Start\n", "DSLU0015@1,13", "'experiment' value 'Quick Start' is not valid: use a lowercase letter, then lowercase letters, digits, '-' or '_' (pattern ^[a-z][a-z0-9_-]*$), e.g. 'quick-start'")]
    [InlineData("experiment: t\ndata:\n  authors: 5\n  forget_authors: 5\n", "DSLU0017@4,19", "forget_authors (5) must be less than authors (5): at least one author has to stay in the retain split; use forget_authors in 1..4 or raise authors")]
    [InlineData("experiment: t\ndata:\n  authors: 2\n", "DSLU0017@3,12", "forget_authors (2) must be less than authors (2): at least one author has to stay in the retain split; use forget_authors in 1..1 or raise authors")]
    [InlineData("experiment: t\nmodel:\n  hidden_size: 128\n  heads: 3\n", "DSLU0017@4,10", "hidden_size (128) must be divisible by heads (3); valid heads for hidden_size 128: 1, 2, 4, 8, 16, 32, 64")]
    [InlineData("experiment: t\nmodel:\n  hidden_size: 24\n  heads: 8\n", "DSLU0017@4,10", "the head dimension hidden_size / heads = 24/8 = 3 must be even for rotary position embeddings (RoPE); valid heads for hidden_size 24: 1, 2, 3, 4, 6, 12")]
    [InlineData("experiment: t\nmodel:\n  hidden_size: 100\n", "DSLU0017@3,16", "the head dimension hidden_size / heads = 100/4 = 25 must be even for rotary position embeddings (RoPE); valid heads for hidden_size 100: 1, 2, 5, 10, 25, 50")]
    [InlineData("experiment: t\nmodel:\n  heads: 4\n  kv_heads: 3\n", "DSLU0017@4,13", "heads (4) must be divisible by kv_heads (3) for grouped-query attention; valid kv_heads for 4 heads: 1, 2, 4")]
    [InlineData("experiment: t\nunlearn:\n  - method: ga\n  - method: ga\n    lr: 1e-3\n", "DSLU0018@4,13", "two items of 'unlearn' are named 'ga' (the other at line 3); names must be unique: give this one a distinct 'name:' such as 'ga-2'")]
    [InlineData("experiment: t\nmetrics:\n  - metric: em\n    splits: []\n", "DSLU0020@4,13", "'splits' must not be empty; list at least one of: forget, retain (default [forget, retain])")]
    [InlineData("experiment: t\nmetrics:\n  - metric: em\n    splits: [forget, forget]\n", "DSLU0019@4,22", "'forget' is listed twice in 'splits' (first at line 4, column 14); list each value once")]
    [InlineData("experiment: t\nmodel:\n  checkpoint: models/phi\n  layers: 3\n", "DSLU0016@4,3",
        "'layers' cannot be set together with 'checkpoint' in 'model' (a local Hugging Face checkpoint folder instead of a preset (relative to the spec file); the architecture keys then come from its config.json); remove 'layers'")]
    [InlineData("experiment: t\nseed: [1, 1]\n", "DSLU0019@2,11", "'1' is listed twice in the sweep of 'seed' (first at line 2); list each value once")]
    [InlineData("experiment: t\nunlearn:\n  - method: ga\n    lr: [1e-4, 1e-4]\n", "DSLU0019@4,16", "'1e-4' is listed twice in the sweep of 'lr' (first at line 4); list each value once")]
    [InlineData("experiment: t\ncalibration:\n  calibrator: model_mixing\n  retain_metric: nll\n", "DSLU0022@4,18",
        "'nll' cannot be the calibration criterion: lower is better for it, and calibration looks for the largest mixing weight whose criterion stays at least fraction x the reference model's (higher = better); use a metric such as es_exact, em, rouge_l_recall or answer_prob")]
    [InlineData("experiment: t\nsweep:\n  finetune.lr: 1e-3\n", "DSLU0024@3,16", "'finetune.lr' in 'sweep' expects a list of values (e.g. 'finetune.lr: [a, b]'), got number 1e-3; a single value goes in the spec itself")]
    [InlineData("experiment: t\nsweep: [seed]\n", "DSLU0024@2,8", "the top-level 'sweep' expects a mapping of swept keys to lists of values (e.g. 'sweep: { seed: [1, 2], finetune.lr: [1e-3, 3e-3] }'), got list")]
    [InlineData("experiment: t\nunlearn:\n  - method: ga\n    sweep:\n      zip: lr\n", "DSLU0024@5,12", "'zip' expects a list of swept keys that vary together (e.g. 'zip: [lr, steps]'), got string 'lr'")]
    [InlineData("experiment: t\nseed: [1, 2]\nsweep:\n  seed: [3]\n", "DSLU0025@4,3", "'seed' is set twice: as a list at line 2 and in 'sweep'; keep one")]
    [InlineData("experiment: t\nseed: []\n", "DSLU0026@2,7", "the sweep of 'seed' has no values; list at least one")]
    [InlineData("experiment: t\nseed: [1, 2]\nsweep:\n  zip: [seed, finetune.lr]\n", "DSLU0027@4,15", "'zip' names 'finetune.lr', which is not swept; list keys that have a list of values (swept here: seed)")]
    [InlineData("experiment: t\nunlearn:\n  - method: ga\n    lr: [1e-4, 2e-4]\n    sweep:\n      zip: [lr, steps]\n", "DSLU0027@6,12", "'zip' names 'steps', which is not swept; list keys that have a list of values (swept here: lr)")]
    [InlineData("experiment: t\nsweep:\n  seed: [1, 2]\n  finetune.lr: [1e-3]\n  zip: [seed, finetune.lr]\n", "DSLU0028@5,8", "zipped keys need lists of the same length: seed has 2, finetune.lr has 1")]
    public void Split_ids_each_name_one_problem(string yaml, string position, string message)
        => Assert.Equal(message, Only(Run(yaml), position).GetMessage());

    [Theory]
    [InlineData("experiment: t\ndevice: [cpu, cuda]\n", "DSLU0009@2,9",
        "'device' cannot be swept: it expects a device name, got a list (sweeps apply to seed, to numbers and names from a fixed list in data, model and finetune, and to the options of 'unlearn' and 'attacks' items); give one value")]
    [InlineData("experiment: t\nunlearn:\n  - method: gd\n    name: [a, b]\n", "DSLU0009@4,11", "'name' cannot be swept (its option is marked Sweepable = false); give one value")]
    [InlineData("experiment: t\nmetrics:\n  - metric: em\n    sweep: {}\n", "DSLU0009@4,5", "a 'metrics' item cannot be swept; list the splits under 'splits:' instead")]
    public void DSLU0009_not_sweepable(string yaml, string position, string message)
        => Assert.Equal(message, Only(Run(yaml), position).GetMessage());

    [Fact]
    public void DSLU0021_a_calibration_metric_that_needs_options()
    {
        // No runtime metric has a required option, so the catalog gets one that does.
        var needy = new ComponentInfo(ComponentKind.Metric, "needy", "Extra.Needy", "Extra.NeedyOptions", "A metric with a required option.",
            new[] { new SpecKey("k", "K", SpecValueKind.Integer, "int", false, 1, false, null, Required: true, Sweepable: true, "How many.", EquatableArray<EnumMemberInfo>.Empty) }.ToEquatableArray());
        var catalog = ComponentCatalog.Create(GeneratorHarness.RuntimeCatalog.Components.Append(needy), Array.Empty<string>()) with { Sections = GeneratorHarness.RuntimeCatalog.Sections };
        var result = SpecCompiler.Compile(GeneratorHarness.PathOf("s.yaml"), "experiment: s\ncalibration:\n  calibrator: model_mixing\n  forget_metrics: [needy]\n", "s.yaml",
            GeneratorHarness.Context(), catalog);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal(("DSLU0021", 4, 20), (d.Id, d.StartLine, d.StartColumn));
        Assert.Equal("metric 'needy' needs options (k), and calibration builds its metrics with default options; pick another metric", d.Message);
    }

    [Fact]
    public void DSLU0023_a_sweep_with_more_cells_than_the_compiler_accepts()
    {
        var values = string.Join(", ", Enumerable.Range(1, 1001));
        var top = Only(Run($"experiment: t\nseed: [{values}]\n"), "DSLU0023@2,1");
        Assert.Equal("this experiment sweep has more than 1000 cells; sweep fewer values (or zip keys that vary together)", top.GetMessage());
        var item = Only(Run($"experiment: t\nunlearn:\n  - method: ga\n    steps: [{values}]\n"), "DSLU0023@4,5");
        Assert.Equal("this sweep has more than 1000 cells; sweep fewer values (or zip keys that vary together)", item.GetMessage());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0.25")]
    [InlineData("1e-3")]
    public void An_exclusive_minimum_range_accepts_its_maximum_and_values_above_the_minimum(string value)
        => Assert.Empty(Run("experiment: t\nunlearn:\n  - method: ga\n    token_loss_fraction: " + value + "\n").Diagnostics.Select(d => d.ToString()));

    [Theory]
    [InlineData("experiment: t\nunlearn:\n  - method: gx\n", "DSLU0006@3,13", "unknown method 'gx'. Did you mean 'ga'? Valid methods: {methods}")]
    [InlineData("experiment: t\nunlearn:\n  - method: gradient_ascent\n", "DSLU0006@3,13", "unknown method 'gradient_ascent'. Did you mean 'ga'? Valid methods: {methods}")]
    [InlineData("experiment: t\nmetrics:\n  - metric: es_exakt\n", "DSLU0006@3,13", "unknown metric 'es_exakt'. Did you mean 'es_exact'? Valid metrics: {metrics}")]
    [InlineData("experiment: t\nmetrics:\n  - metric: em\n    splits: [forgot]\n", "DSLU0006@4,14", "unknown split 'forgot'. Did you mean 'forget'? Valid splits: forget, retain")]
    [InlineData("experiment: t\ndevice: gpu\n", "DSLU0006@2,9", "unknown device 'gpu'. Did you mean 'cuda'? Valid devices: auto, cpu, cuda")]
    [InlineData("experiment: t\nmodel:\n  preset: llama-7b\n", "DSLU0006@3,11", "unknown preset 'llama-7b'. Valid presets: tiny-llama")]
    [InlineData("experiment: t\ndata:\n  source: tofuu\n", "DSLU0006@3,11", "unknown data source 'tofuu'. Did you mean 'tofu'? Valid data sources: synthetic, tofu, biographies")]
    [InlineData("experiment: t\nmodel:\n  dtype: bf16\n", "DSLU0006@3,10", "unknown dtype 'bf16'. Did you mean 'bfloat16'? Valid dtypes: float32, bfloat16, float16")]
    [InlineData("experiment: t\nmodel:\n  dtype: int8\n", "DSLU0006@3,10", "unknown dtype 'int8'. Valid dtypes: float32, bfloat16, float16")]
    public void DSLU0006_unknown_component(string yaml, string position, string message)
        => Assert.Equal(WithMethods(message), Only(Run(yaml), position).GetMessage());

    [Theory]
    [InlineData("description: no name\nseed: 1\n", "DSLU0007@1,1", "missing required key 'experiment' in the top level; add 'experiment: my-experiment'")]
    [InlineData("experiment:\nseed: 1\n", "DSLU0007@1,1", "'experiment' has no value but is required; write 'experiment: my-experiment'")]
    [InlineData("experiment: t\nunlearn:\n  - lr: 0.1\n", "DSLU0007@3,5", "missing required key 'method' in an 'unlearn' item; add 'method: <one of {methods}>'")]
    [InlineData("experiment: t\nmetrics:\n  - splits: [forget]\n", "DSLU0007@3,5", "missing required key 'metric' in a 'metrics' item; add 'metric: <one of {metrics}>'")]
    [InlineData("", "DSLU0007@1,1", "the spec is empty: it needs at least 'experiment: <name>' (a lowercase name such as 'my-experiment')")]
    [InlineData("# only a comment\n", "DSLU0007@1,1", "the spec is empty: it needs at least 'experiment: <name>' (a lowercase name such as 'my-experiment')")]
    public void DSLU0007_missing_required(string yaml, string position, string message)
        => Assert.Equal(WithMethods(message), Only(Run(yaml), position).GetMessage());

    [Fact]
    public void DSLU0008_two_specs_with_the_same_experiment_name()
    {
        var run = GeneratorHarness.Run(("a.yaml", "experiment: same\n"), ("b.yaml", "# second\nexperiment: same\n"), ("c.yaml", "experiment: other\n"));
        var d = Assert.Single(run.Diagnostics);
        Assert.Equal("DSLU0008@2,13", DiagnosticTests.Position(d));
        Assert.Equal(GeneratorHarness.PathOf("b.yaml"), d.Location.GetLineSpan().Path);
        Assert.Equal("experiment name 'same' is already used by 'a.yaml' (line 1); experiment names must be unique across the project: rename one of them", d.GetMessage());
        Assert.Equal(new[] { "ExperimentCatalog.g.cs", "other.g.cs", "same.g.cs" }, run.HintNames.OrderBy(h => h, StringComparer.Ordinal));
        Assert.Contains("SourceFile = \"a.yaml\"", run.Source("same.g.cs"));
        Assert.Empty(run.Output.GetDiagnostics().Where(x => x.Severity == DiagnosticSeverity.Error).Select(x => x.ToString()));
    }

    [Fact]
    public void DSLU0008_names_that_map_to_the_same_class()
    {
        var run = GeneratorHarness.Run(("a.yaml", "experiment: my-exp\n"), ("b.yaml", "experiment: my_exp\n"));
        Assert.Equal(new[] { "DSLU0008@1,13" }, run.Positions);
        Assert.Contains("maps to class 'MyExpExperiment'", run.Diagnostics[0].GetMessage());
        Assert.Empty(run.Output.GetDiagnostics().Where(x => x.Severity == DiagnosticSeverity.Error).Select(x => x.ToString()));
    }

    [Fact]
    public void All_errors_of_a_file_are_reported_at_once()
    {
        const string yaml =
            "experiment: multi\n" +       // 1
            "seed: lots\n" +              // 2  DSLU0004
            "device: gpu\n" +             // 3  DSLU0006
            "data:\n" +                   // 4
            "  authors: 1\n" +            // 5  DSLU0005
            "  qa_per_author: 3\n" +      // 6
            "  qa_per_author: 4\n" +      // 7  DSLU0002
            "finetune:\n" +               // 8
            "  lrr: 0.1\n" +              // 9  DSLU0003
            "  epochs: 0\n" +             // 10 DSLU0005
            "unlearn:\n" +                // 11
            "  - method: gx\n" +          // 12 DSLU0006
            "  - lr: 1e-3\n" +            // 13 DSLU0007
            "  - method: ga\n" +          // 14
            "    retain_weight: 2\n" +    // 15 DSLU0003
            "metrics:\n" +                // 16
            "  - metric: em\n" +          // 17
            "    splits: forget\n";       // 18 DSLU0004
        var run = Run(yaml);
        Assert.Equal(
            new[]
            {
                "DSLU0004@2,7", "DSLU0006@3,9", "DSLU0005@5,12", "DSLU0002@7,3", "DSLU0003@9,3", "DSLU0005@10,11",
                "DSLU0006@12,13", "DSLU0007@13,5", "DSLU0003@15,5", "DSLU0004@18,13",
            },
            run.Positions);
        Assert.Equal(new[] { "ExperimentCatalog.g.cs" }, run.HintNames);
    }

    [Fact]
    public void Diagnostics_span_the_offending_text()
    {
        var run = Run("experiment: t\nfinetune:\n  lerning_rate: 0.1\n");
        var span = run.Diagnostics.Single().Location.GetLineSpan();
        Assert.Equal((2, 2), (span.StartLinePosition.Line, span.StartLinePosition.Character));
        Assert.Equal((2, 14), (span.EndLinePosition.Line, span.EndLinePosition.Character));
        var source = run.Diagnostics.Single().Location.SourceSpan;
        Assert.Equal("lerning_rate", "experiment: t\nfinetune:\n  lerning_rate: 0.1\n".Substring(source.Start, source.Length));
    }

    [Fact]
    public void Descriptors_cover_the_catalog()
    {
        foreach (var info in DslUnlearn.Generators.Dsl.SpecDiagnosticIds.All)
        {
            var descriptor = DiagnosticDescriptors.For(info.Id);
            Assert.Equal(info.Id, descriptor.Id);
            Assert.Equal("DslUnlearn", descriptor.Category);
        }

        var releases = string.Concat(new[] { "Shipped", "Unshipped" }.Select(r =>
            File.ReadAllText(Path.Combine(RepoPaths.Root, "generators", "DslUnlearn.Generators", $"AnalyzerReleases.{r}.md"))));
        foreach (var info in DslUnlearn.Generators.Dsl.SpecDiagnosticIds.All)
        {
            Assert.Contains(info.Id + " | DslUnlearn | Error | " + info.Title, releases);
        }

        // One descriptor per ID, and Roslyn's message (its format and the arguments) is the message the CLI prints.
        Assert.Equal(SpecDescriptors.All.Count, SpecDescriptors.All.Select(d => d.Id).Distinct().Count());
        var spec = GeneratorHarness.Compile(GeneratorHarness.PathOf("s.yaml"), "experiment: t\nfinetune:\n  lr: 0\n", "s.yaml", GeneratorHarness.Context()).Diagnostics.Single();
        Assert.Equal(new[] { "'lr'", "> 0", "0", "; set it to a value > 0 (default 3e-3)" }, spec.Arguments);
        Assert.Equal(spec.Message, DslUnlearnGenerator.ToDiagnostic(spec).GetMessage());
    }

    private static string Position(Diagnostic d) => GeneratorRun.Format(d);

    [Fact]
    public void The_build_refuses_a_model_section_exactly_when_the_runtime_refuses_its_llama_config()
    {
        // One rule set (src/DslUnlearn.Runtime/Models/HeadRules.cs) for both: the same sizes fail on both sides, with
        // the same message up to the key names (the spec's heads / kv_heads, config.json's num_attention_heads / ...).
        foreach (var (hidden, heads, kv) in from h in new[] { 8, 12, 24, 100, 128 } from n in new[] { 1, 3, 4, 8 } from k in new[] { 1, 3, 4 } select (h, n, k))
        {
            var run = GeneratorHarness.Run(("spec.yaml", $"experiment: t\nmodel:\n  hidden_size: {hidden}\n  heads: {heads}\n  kv_heads: {kv}\n"));
            var build = run.Diagnostics.Where(d => d.Id == "DSLU0017").Select(d => d.GetMessage()).ToList();
            var config = new DslUnlearn.Models.LlamaConfig(100, hidden, 1, heads, kv, 16, 32);
            var runtime = Record.Exception(() => config.Validate()) is DslUnlearn.Models.ModelConfigException e ? e.Problems.ToList() : new List<string>();
            Assert.Equal(runtime, build.Select(m => m.Replace("kv_heads", "num_key_value_heads").Replace("heads", "num_attention_heads")
                .Replace("num_key_value_num_attention_heads", "num_key_value_heads")).ToList());
        }
    }
}
