using DslUnlearn.Components;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Specs;

/// <summary>
/// The biographies testbed (<c>data.source: biographies</c>, section <c>testbed:</c>): a synthetic world of fictitious
/// authors whose knowledge a small model first learns from differently worded biographies (pretraining), then is
/// fine-tuned on as QA. See docs/testbed.md and Data/Testbed/BiographyWorld.cs.
/// Every value is set by the generated spec; the keys, ranges and defaults are the <c>[Option]</c>s below (docs/spec-keys.md).
/// </summary>
public sealed record TestbedSpec
{
    /// <summary>Atomic attributes per author (the first N of <see cref="Data.Testbed.BiographyAttributes.All"/>); one QA pair each.</summary>
    [Option(Min = 1, Max = 16, Default = "12", Help = "atomic attributes per author (birth date, birth city, parents' jobs, genre, books, award, ...); one QA pair each", Aliases = ["facts", "attributes_per_author", "qa_per_author"])]
    public required int Attributes { get; init; }
    /// <summary>Differently worded biographies per author (sentence wording and attribute order drawn per biography).</summary>
    [Option(Min = 1, Max = 64, Default = "4", Help = "differently worded biographies per author (wording and attribute order drawn per biography)", Aliases = ["biographies", "bios", "bios_per_author"])]
    public required int BiographiesPerAuthor { get; init; }
    /// <summary>Sentence wordings per attribute that biographies draw from (1..3).</summary>
    [Option(Min = 1, Max = 3, Default = "3", Help = "wordings per attribute that biographies draw from", Aliases = ["templates", "biography_templates"])]
    public required int SentenceTemplates { get; init; }
    /// <summary>Training question wordings per attribute (1..3); the held-out paraphrase is never one of them.</summary>
    [Option(Min = 1, Max = 3, Default = "3", Help = "training wordings per question; the held-out paraphrase (ES perturb) is never one of them", Aliases = ["qa_templates"])]
    public required int QuestionTemplates { get; init; }
    /// <summary>Share of the retain authors whose QA pairs (every training wording, with varied context) join the pretraining corpus ("mixed training").</summary>
    [Option(Min = 0, Max = 1, Default = "0.5", Help = "share of the retain authors whose QA pairs join the pretraining corpus (mixed training)", Aliases = ["mixed_training", "mixed", "qa_share"])]
    public required double MixedShare { get; init; }
    /// <summary>Authors generated beside the experiment's, never trained on (membership inference's non-members).</summary>
    [Option(Min = 0, Max = 1000, Default = "4", Help = "authors generated beside the experiment's and never trained on (membership inference)", Aliases = ["holdout"])]
    public required int HoldoutAuthors { get; init; }
    /// <summary>char (one token per character) or bpe (GPT-2 BPE restricted to the ids the world uses).</summary>
    [Option(Names = "testbed tokenizer", Default = "bpe", Help = "bpe or char")]
    [Choice("bpe", Help = "GPT-2 BPE restricted to the token ids the world uses", Aliases = ["gpt2"])]
    [Choice("char", Help = "one token per character (printable ASCII)", Aliases = ["character", "chars"])]
    public required string Tokenizer { get; init; }
    /// <summary>TOFU's real_authors and world_facts in the testbed's own terms (Data/Testbed/TestbedAuxiliary.cs), for
    /// model_utility. They add documents to both pretraining corpora, so on moves every key; off (the default) is left out
    /// of the stage keys, which stay as they were.</summary>
    [Option(Default = "false", KeyNeutral = "false", Help = "add the auxiliary splits real_authors (authors known from pretraining only) and world_facts (facts of the world in pretraining), each with wrong answers, so model_utility runs here; adds their documents to pretraining", Aliases = ["auxiliary", "aux_splits"])]
    public bool AuxiliarySplits { get; init; }
    /// <summary>Pretraining on the corpus (biographies + mixed QA); the target and oracle fine-tunes start from it.</summary>
    [Option(Default = "{}", Help = "pretraining on the biographies and the mixed QA; the target and oracle fine-tunes start from it", Aliases = ["pretraining"])]
    [NestedKey("epochs", Default = "20", Help = "passes over the pretraining corpus (biographies + mixed QA)", Aliases = ["num_epochs", "n_epochs"])]
    [NestedKey("lr", Default = "2e-3", Help = "AdamW learning rate (warm-up, then cosine to 10%)")]
    [NestedKey("batch_size", Help = "documents per step")]
    [NestedKey("weight_decay")]
    [NestedKey("warmup_steps", Default = "20")]
    [NestedKey("max_grad_norm", Aliases = ["grad_clip", "clip_grad_norm"])]
    [NestedKey("length_groups")]
    public required FinetuneSpec Pretrain { get; init; }
}
