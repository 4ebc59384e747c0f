namespace DslUnlearn.Generators.Tests;

/// <summary>The biographies testbed's DSL: data.source biographies with the 'testbed:' section (issue 11).</summary>
public sealed class TestbedSectionTests
{
    private static GeneratorRun Run(string yaml) => GeneratorHarness.Run(("spec.yaml", yaml));

    private const string Head = "experiment: t\ndata:\n  source: biographies\n  authors: 30\n  forget_authors: 3\n";

    [Fact]
    public void Testbed_keys_bind_typed_values_and_defaults()
    {
        var run = Run(Head + "testbed:\n  attributes: 10\n  biographies_per_author: 6\n  mixed_share: 0.25\n  tokenizer: char\n  pretrain:\n    epochs: 5\n    lr: 1.0e-3\n");
        Assert.Empty(run.Positions);
        var source = run.Source("t.g.cs")!;
        Assert.Contains("Source = global::DslUnlearn.Specs.Vocabulary.DataSource.Biographies", source);
        Assert.Contains("Testbed = new global::DslUnlearn.Specs.TestbedSpec", source);
        Assert.Contains("Attributes = 10,", source);
        Assert.Contains("BiographiesPerAuthor = 6,", source);
        Assert.Contains("SentenceTemplates = 3,", source);   // default
        Assert.Contains("QuestionTemplates = 3,", source);   // default
        Assert.Contains("MixedShare = 0.25,", source);
        Assert.Contains("HoldoutAuthors = 4,", source);      // default
        Assert.Contains("Tokenizer = \"char\",", source);
        Assert.Contains("Epochs = 5,", source);
        Assert.Contains("BatchSize = 16,", source);          // pretrain default
    }

    [Fact]
    public void An_empty_testbed_section_takes_every_default_and_other_specs_get_null()
    {
        var source = Run(Head + "testbed: {}\n").Source("t.g.cs")!;
        Assert.Contains("Attributes = 12,", source);
        Assert.Contains("Tokenizer = \"bpe\",", source);
        Assert.Contains("Epochs = 20,", source);
        Assert.Contains("Testbed = null", Run("experiment: t\n").Source("t.g.cs")!);
    }

    [Fact]
    public void Biographies_without_a_testbed_section_is_an_error_at_data()
    {
        Assert.Contains("needs a 'testbed:' section; add 'testbed: {}'", GeneratorHarness.Messages(Head, "DSLU0017@3,3").Single());
    }

    [Fact]
    public void A_testbed_section_on_other_data_is_an_error_at_the_section()
    {
        Assert.Contains("only applies to data.source 'biographies'", GeneratorHarness.Messages("experiment: t\ndata:\n  source: synthetic\ntestbed:\n  attributes: 10\n", "DSLU0017@5,3").Single());
    }

    [Fact]
    public void Out_of_range_unknown_tokenizer_and_misspelt_keys_are_located()
    {
        var run = Run(Head + "testbed:\n  attributes: 20\n  tokenizer: wordpiece\n  mixed: 0.5\n  pretrain:\n    epoch: 3\n");
        var messages = run.Diagnostics.Select(d => d.GetMessage()).ToList();
        Assert.Equal(4, run.Positions.Count);
        Assert.Contains(run.Positions, p => p.EndsWith("@7,15", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'attributes'") && m.Contains("in 1..16"));
        Assert.Contains(run.Positions, p => p.EndsWith("@8,14", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown testbed tokenizer 'wordpiece'") && m.Contains("bpe, char"));
        Assert.Contains(run.Positions, p => p.EndsWith("@9,3", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'mixed'") && m.Contains("mixed_share"));
        Assert.Contains(run.Positions, p => p.EndsWith("@11,5", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'epoch'") && m.Contains("epochs"));
    }

    [Fact]
    public void Pretrain_takes_finetune_ranges_and_only_its_nested_keys()
    {
        // testbed.pretrain is a FinetuneSpec narrowed by [NestedKey]: FinetuneSpec's range for weight_decay, its own
        // defaults, and no 'oracle' (a fine-tune-only key).
        var run = Run(Head + "testbed:\n  pretrain:\n    weight_decay: -1\n    oracle: true\n");
        var messages = run.Diagnostics.Select(d => d.GetMessage()).ToList();
        Assert.Equal(2, run.Positions.Count);
        Assert.Contains(run.Positions, p => p.EndsWith("@8,19", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'weight_decay'") && m.Contains(">= 0"));
        Assert.Contains(run.Positions, p => p.EndsWith("@9,5", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown key 'oracle' in 'testbed.pretrain'"));
    }

    [Fact]
    public void The_testbed_keys_are_read_from_the_record_attributes()
    {
        var schema = SpecSchema.Create(GeneratorHarness.RuntimeCatalog);
        var testbed = schema.Root.Find("testbed")!.Section!;
        Assert.Equal(new[] { "attributes", "biographies_per_author", "sentence_templates", "question_templates", "mixed_share", "holdout_authors", "tokenizer", "auxiliary_splits", "pretrain" },
            testbed.Keys.Select(k => k.Key));
        var pretrain = testbed.Find("pretrain")!.Section!;
        Assert.Equal("'testbed.pretrain'", pretrain.DisplayName);
        Assert.Equal(new[] { "epochs", "lr", "batch_size", "weight_decay", "warmup_steps", "max_grad_norm", "length_groups" }, pretrain.Keys.Select(k => k.Key));
        Assert.Equal("20", pretrain.Find("epochs")!.Default);
        Assert.Equal(new[] { "num_epochs", "n_epochs" }, pretrain.Find("epochs")!.Aliases);
        Assert.Equal("documents per step", pretrain.Find("batch_size")!.Help);
        Assert.Equal("16", pretrain.Find("batch_size")!.Default); // FinetuneSpec's
    }
}
