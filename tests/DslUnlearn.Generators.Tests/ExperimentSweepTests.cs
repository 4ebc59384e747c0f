namespace DslUnlearn.Generators.Tests;

/// <summary>Experiment-level sweeps: seed, data, model and finetune lists and the top-level 'sweep:' block.</summary>
public sealed class ExperimentSweepTests
{
    private static ExperimentModel Model(string yaml)
    {
        var result = GeneratorHarness.Compile(GeneratorHarness.PathOf("s.yaml"), yaml, "s.yaml");
        Assert.Empty(result.Diagnostics.Select(d => d.ToString()));
        return Assert.IsType<ExperimentModel>(result.Model);
    }

    private static string[] Ids(ExperimentModel model) => model.Cells.Select(c => c.Id).ToArray();

    private static SpecValue Get(SpecObject spec, params string[] path)
    {
        SpecValue value = spec;
        foreach (var p in path) value = ((SpecObject)value).Get(p)!;
        return value;
    }

    [Fact]
    public void A_seed_list_gives_one_cell_per_seed_with_the_seed_set()
    {
        var model = Model("experiment: s\nseed: [1, 2, 3]\n");
        Assert.Equal(new[] { "seed=1", "seed=2", "seed=3" }, Ids(model));
        Assert.Equal(new[] { 1, 2, 3 }, model.Cells.Select(c => ((SpecInt)c.Spec.Get("Seed")!).Value));
        Assert.Equal(new SpecString("seed=2"), model.Cells[1].Spec.Get("Cell"));
        Assert.Same(model.Cells[0].Spec, model.Spec);
    }

    [Fact]
    public void Lists_in_sections_and_the_block_make_a_grid_in_schema_order_first_key_slowest()
    {
        // Written finetune first, then seed, then a data key in the block: ids still read seed, data, finetune.
        var model = Model("experiment: s\nfinetune:\n  lr: [1e-3, 3e-3]\nseed: [1, 2]\nsweep:\n  data.forget_authors: [2, 4]\n");
        Assert.Equal(new[]
        {
            "seed=1,data.forget_authors=2,finetune.lr=1e-3", "seed=1,data.forget_authors=2,finetune.lr=3e-3",
            "seed=1,data.forget_authors=4,finetune.lr=1e-3", "seed=1,data.forget_authors=4,finetune.lr=3e-3",
            "seed=2,data.forget_authors=2,finetune.lr=1e-3", "seed=2,data.forget_authors=2,finetune.lr=3e-3",
            "seed=2,data.forget_authors=4,finetune.lr=1e-3", "seed=2,data.forget_authors=4,finetune.lr=3e-3",
        }, Ids(model));
        var last = model.Cells[7].Spec;
        Assert.Equal(new SpecNumber(3e-3), Get(last, "Finetune", "Lr"));
        Assert.Equal(new SpecInt(4), Get(last, "Data", "ForgetAuthors"));
        Assert.Equal(new SpecInt(2), Get(last, "Seed"));
        // Unswept values keep their defaults in every cell.
        Assert.Equal(new SpecInt(40), Get(last, "Finetune", "Epochs"));
    }

    [Fact]
    public void Zip_makes_keys_vary_together_and_the_block_wins_over_a_single_value()
    {
        var model = Model("experiment: s\nfinetune:\n  lr: 1e-2\nmodel:\n  hidden_size: [64, 128]\n" +
                          "sweep:\n  seed: [1, 2]\n  finetune.lr: [1e-3, 3e-3]\n  zip: [seed, finetune.lr]\n");
        Assert.Equal(new[]
        {
            "seed=1,model.hidden_size=64,finetune.lr=1e-3", "seed=1,model.hidden_size=128,finetune.lr=1e-3",
            "seed=2,model.hidden_size=64,finetune.lr=3e-3", "seed=2,model.hidden_size=128,finetune.lr=3e-3",
        }, Ids(model));
        Assert.Equal(new SpecInt(128), Get(model.Cells[3].Spec, "Model", "HiddenSize"));
    }

    [Fact]
    public void Unlearn_item_sweeps_keep_working_inside_every_cell()
    {
        var model = Model("experiment: s\nseed: [1, 2]\nunlearn:\n  - method: gd\n    lr: [1e-4, 2e-4]\n");
        foreach (var cell in model.Cells)
        {
            var unlearn = (SpecList)cell.Spec.Get("Unlearn")!;
            Assert.Equal(new[] { "gd[lr=1e-4]", "gd[lr=2e-4]" }, unlearn.Items.Select(i => ((SpecString)((SpecObject)i).Get("Name")!).Value));
        }
    }

    [Fact]
    public void A_spec_without_experiment_sweeps_has_no_cells_and_no_cell_property()
    {
        var model = Model("experiment: s\nseed: 3\nunlearn:\n  - method: ga\n    lr: [1e-4, 2e-4]\n");
        Assert.True(model.Cells.IsEmpty);
        Assert.Null(model.Spec.Get("Cell"));
    }

    [Fact]
    public void The_generated_class_exposes_typed_cells_written_as_differences_from_the_first()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nseed: [1, 2]\nfinetune:\n  lr: [1e-3, 3e-3]\nunlearn:\n  - method: ga\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        GeneratorHarness.AssertCompiles(run);
        var source = run.Source("s.g.cs")!;
        Assert.Contains("public static global::System.Collections.Immutable.ImmutableArray<global::DslUnlearn.Specs.ExperimentSpec> Cells { get; } =", source);
        Assert.Contains("Cell = \"seed=1,finetune.lr=1e-3\",", source);
        Assert.Contains("Spec with { Finetune = Spec.Finetune with { Lr = 0.003 }, Cell = \"seed=1,finetune.lr=3e-3\" },", source);
        Assert.Contains("Spec with { Seed = 2, Cell = \"seed=2,finetune.lr=1e-3\" },", source);
        Assert.Contains("Spec with { Seed = 2, Finetune = Spec.Finetune with { Lr = 0.003 }, Cell = \"seed=2,finetune.lr=3e-3\" });", source);
        Assert.Contains("global::DslUnlearn.Pipeline.ExperimentCells.Run(Cells, options).Result", source);
    }

    [Fact]
    public void A_non_swept_spec_generates_exactly_as_before()
    {
        var source = GeneratorHarness.Run(("s.yaml", "experiment: s\nseed: 3\n")).Source("s.g.cs")!;
        Assert.DoesNotContain("Cells", source);
        Assert.DoesNotContain("Cell =", source);
        Assert.Contains("=> global::DslUnlearn.Pipeline.ExperimentRunner.Run(Spec, options);", source);
    }

    [Theory]
    [InlineData("device: [cpu, cuda]\n", "DSLU0009@2,9",
        "'device' cannot be swept: it expects a device name, got a list (sweeps apply to seed, to numbers and names from a fixed list in data, model and finetune, and to the options of 'unlearn' and 'attacks' items); give one value")]
    [InlineData("report:\n  out: [a, b]\n", "DSLU0009@3,8",
        "'out' cannot be swept: it expects a string, got a list (sweeps apply to seed, to numbers and names from a fixed list in data, model and finetune, and to the options of 'unlearn' and 'attacks' items); give one value")]
    [InlineData("sweep:\n  data.source: [synthetic, tofu]\n", "DSLU0009@3,3", null)]
    [InlineData("sweep:\n  device: [cpu]\n", "DSLU0009@3,3", null)]
    [InlineData("sweep:\n  finetune.lrr: [1e-3]\n", "DSLU0003@3,3", null)]
    [InlineData("sweep:\n  seed: [1, 2]\n  finetune.lr: [1e-3]\n  zip: [seed, finetune.lr]\n", "DSLU0028@5,8",
        "zipped keys need lists of the same length: seed has 2, finetune.lr has 1")]
    [InlineData("seed: [1, 2]\nsweep:\n  zip: [seed, finetune.lr]\n", "DSLU0027@4,15",
        "'zip' names 'finetune.lr', which is not swept; list keys that have a list of values (swept here: seed)")]
    [InlineData("seed: [1, 2]\nsweep:\n  seed: [3]\n", "DSLU0025@4,3", "'seed' is set twice: as a list at line 2 and in 'sweep'; keep one")]
    [InlineData("seed: []\n", "DSLU0026@2,7", "the sweep of 'seed' has no values; list at least one")]
    [InlineData("seed: [1, 1]\n", "DSLU0019@2,11", "'1' is listed twice in the sweep of 'seed' (first at line 2); list each value once")]
    [InlineData("sweep:\n  finetune.lr: 1e-3\n", "DSLU0024@3,16",
        "'finetune.lr' in 'sweep' expects a list of values (e.g. 'finetune.lr: [a, b]'), got number 1e-3; a single value goes in the spec itself")]
    [InlineData("finetune:\n  lr: [1e-3, 0]\n", "DSLU0005@3,14", "'lr' must be > 0, got 0; set it to a value > 0 (default 3e-3)")]
    public void Sweep_diagnostics(string yaml, string position, string? message)
    {
        var messages = GeneratorHarness.Messages("experiment: s\n" + yaml, position);
        if (message is not null) Assert.Equal(message, messages.Single());
    }

    [Fact]
    public void Non_sweepable_and_unknown_block_keys_list_the_sweepable_keys()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nsweep:\n  data.path: [a, b]\n  finetune.lrr: [1e-3]\n"));
        Assert.Equal(2, run.Diagnostics.Length);
        Assert.StartsWith("'data.path' cannot be swept (experiment-level sweeps take numbers and names from a fixed list in seed, data, model, finetune;", run.Diagnostics[0].GetMessage());
        Assert.Contains("; sweepable keys: seed, data.split, data.retain_authors, data.retain_eval_authors, data.holdout_authors, data.authors,", run.Diagnostics[0].GetMessage());
        Assert.StartsWith("unknown key 'finetune.lrr' in the top-level 'sweep'. Did you mean 'finetune.lr'?", run.Diagnostics[1].GetMessage());
    }

    [Fact]
    public void The_sweepable_keys_are_the_ones_declared_Sweepable_on_the_records()
    {
        // seed, and the numbers and names of data, model and finetune except data.source ([Option(Sweepable = true)]).
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nsweep:\n  device: [cpu, auto]\n"));
        var message = Assert.Single(run.Diagnostics).GetMessage();
        var listed = message.Substring(message.IndexOf("sweepable keys: ", StringComparison.Ordinal) + "sweepable keys: ".Length);
        Assert.Equal("seed, data.split, data.retain_authors, data.retain_eval_authors, data.holdout_authors, data.authors, data.qa_per_author, " +
                     "data.forget_authors, model.preset, model.hidden_size, model.layers, model.heads, model.kv_heads, model.intermediate_size, " +
                     "model.max_seq_len, model.rope_theta, model.rms_norm_eps, model.dtype, finetune.epochs, finetune.lr, finetune.batch_size, " +
                     "finetune.weight_decay, finetune.max_grad_norm, finetune.length_groups; method and attack options are swept in their 'unlearn'/'attacks' item", listed);
    }

    [Fact]
    public void A_problem_outside_the_swept_keys_is_reported_once_not_per_cell()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nseed: [1, 2, 3]\nfinetune:\n  epochs: many\n  lr: [1e-3, 2e-3]\n"));
        Assert.Equal(new[] { "DSLU0004@4,11" }, run.Positions);
    }
}
