namespace DslUnlearn.Generators.Dsl;

/// <summary>The <c>testbed:</c> section (issue 11, runtime <c>DslUnlearn.Specs.TestbedSpec</c>), used with <c>data.source: biographies</c>.</summary>
internal sealed partial class SpecSchema
{
    private static SpecKey TestbedKey()
    {
        var pretrain = new SpecSection
        {
            DisplayName = "'testbed.pretrain'",
            CSharpType = Specs + "FinetuneSpec",
            Keys = new[]
            {
                new SpecKey { Name = "epochs", Property = "Epochs", Kind = SpecValueKind.Integer, Range = SpecRange.AtLeast(1), Default = "20", Help = "passes over the pretraining corpus (biographies + mixed QA)", Aliases = new[] { "num_epochs", "n_epochs" } },
                new SpecKey { Name = "lr", Property = "Lr", Kind = SpecValueKind.Number, Range = SpecRange.Positive, Default = "2e-3", Help = "AdamW learning rate (warm-up, then cosine to 10%)", Aliases = new[] { "learning_rate" } },
                new SpecKey { Name = "batch_size", Property = "BatchSize", Kind = SpecValueKind.Integer, Range = SpecRange.AtLeast(1), Default = "16", Help = "documents per step", Aliases = new[] { "bs", "batch" } },
                new SpecKey { Name = "weight_decay", Property = "WeightDecay", Kind = SpecValueKind.Number, Range = SpecRange.AtLeast(0), Default = "0", Help = "AdamW weight decay", Aliases = new[] { "wd" } },
                new SpecKey { Name = "warmup_steps", Property = "WarmupSteps", Kind = SpecValueKind.StepCount, Range = SpecRange.AtLeast(0), Default = "20", Help = "linear warm-up steps; also \"1 epoch\" or \"10%\" of the run", Aliases = new[] { "warmup" } },
                new SpecKey { Name = "max_grad_norm", Property = "MaxGradNorm", Kind = SpecValueKind.Number, Range = SpecRange.AtLeast(0), Default = "1.0", Help = "gradient clipping norm (0 = off)", Aliases = new[] { "grad_clip", "clip_grad_norm" } },
            },
        };
        var tokenizers = new SpecComponentSet("testbed tokenizer", null,
            new SpecComponent("bpe", "Bpe", "GPT-2 BPE restricted to the token ids the world uses", "gpt2"),
            new SpecComponent("char", "Char", "one token per character (printable ASCII)", "character", "chars"));
        var testbed = new SpecSection
        {
            DisplayName = "'testbed'",
            CSharpType = Specs + "TestbedSpec",
            Keys = new[]
            {
                new SpecKey { Name = "attributes", Property = "Attributes", Kind = SpecValueKind.Integer, Range = SpecRange.Between(1, 16), Default = "12", Help = "atomic attributes per author (birth date, birth city, parents' jobs, genre, books, award, ...); one QA pair each", Aliases = new[] { "facts", "attributes_per_author", "qa_per_author" } },
                new SpecKey { Name = "biographies_per_author", Property = "BiographiesPerAuthor", Kind = SpecValueKind.Integer, Range = SpecRange.Between(1, 64), Default = "4", Help = "differently worded biographies per author (wording and attribute order drawn per biography)", Aliases = new[] { "biographies", "bios", "bios_per_author" } },
                new SpecKey { Name = "sentence_templates", Property = "SentenceTemplates", Kind = SpecValueKind.Integer, Range = SpecRange.Between(1, 3), Default = "3", Help = "wordings per attribute that biographies draw from", Aliases = new[] { "templates", "biography_templates" } },
                new SpecKey { Name = "question_templates", Property = "QuestionTemplates", Kind = SpecValueKind.Integer, Range = SpecRange.Between(1, 3), Default = "3", Help = "training wordings per question; the held-out paraphrase (ES perturb) is never one of them", Aliases = new[] { "qa_templates" } },
                new SpecKey { Name = "mixed_share", Property = "MixedShare", Kind = SpecValueKind.Number, Range = SpecRange.Between(0, 1), Default = "0.5", Help = "share of the retain authors whose QA pairs join the pretraining corpus (mixed training)", Aliases = new[] { "mixed_training", "mixed", "qa_share" } },
                new SpecKey { Name = "holdout_authors", Property = "HoldoutAuthors", Kind = SpecValueKind.Integer, Range = SpecRange.Between(0, 1000), Default = "4", Help = "authors generated beside the experiment's and never trained on (membership inference)", Aliases = new[] { "holdout" } },
                new SpecKey { Name = "tokenizer", Property = "Tokenizer", Kind = SpecValueKind.Component, Components = tokenizers, Default = "bpe", Help = "bpe or char" },
                new SpecKey { Name = "pretrain", Property = "Pretrain", Kind = SpecValueKind.Mapping, Section = pretrain, Default = "{}", Help = "pretraining on the biographies and the mixed QA; the target and oracle fine-tunes start from it", Aliases = new[] { "pretraining" } },
            },
        };
        return new SpecKey
        {
            Name = "testbed", Property = "Testbed", Kind = SpecValueKind.Mapping, Section = testbed, Nullable = true, Default = "~",
            Help = "the biographies testbed (with data.source: biographies); write 'testbed: {}' for its defaults", Aliases = new[] { "biographies", "world" },
        };
    }

    /// <summary>data.source biographies and a testbed section go together.</summary>
    private static SpecCheck TestbedSourceCheck() => new(new[] { "data", "testbed" }, new[] { "testbed", "data" }, v =>
    {
        bool biographies = v.Value("data") is SpecObject data && data.Get("Source") is SpecEnum { Name: "biographies" };
        bool section = v.Value("testbed") is SpecObject;
        if (biographies == section)
        {
            return null;
        }

        return biographies
            ? "data.source 'biographies' needs a 'testbed:' section; add 'testbed: {}' for the defaults, or set its keys (attributes, biographies_per_author, mixed_share, pretrain, ...)"
            : "the 'testbed:' section only applies to data.source 'biographies'; set 'data: {source: biographies}' or remove the section";
    });
}
