namespace DslUnlearn.Specs;

/// <summary>
/// The biographies testbed (<c>data.source: biographies</c>, section <c>testbed:</c>): a synthetic world of fictitious
/// authors whose knowledge a small model first learns from differently worded biographies (pretraining), then is
/// fine-tuned on as QA. See docs/testbed.md and Data/Testbed/BiographyWorld.cs.
/// Every value is set by the generated spec (defaults live in the DSL schema, generators/.../SpecSchema.Testbed.cs).
/// </summary>
public sealed record TestbedSpec
{
    /// <summary>Atomic attributes per author (the first N of <see cref="Data.Testbed.BiographyAttributes.All"/>); one QA pair each.</summary>
    public required int Attributes { get; init; }
    /// <summary>Differently worded biographies per author (sentence wording and attribute order drawn per biography).</summary>
    public required int BiographiesPerAuthor { get; init; }
    /// <summary>Sentence wordings per attribute that biographies draw from (1..3).</summary>
    public required int SentenceTemplates { get; init; }
    /// <summary>Training question wordings per attribute (1..3); the held-out paraphrase is never one of them.</summary>
    public required int QuestionTemplates { get; init; }
    /// <summary>Share of the retain authors whose QA pairs (every training wording, with varied context) join the pretraining corpus ("mixed training").</summary>
    public required double MixedShare { get; init; }
    /// <summary>Authors generated beside the experiment's, never trained on (membership inference's non-members).</summary>
    public required int HoldoutAuthors { get; init; }
    /// <summary>char (one token per character) or bpe (GPT-2 BPE restricted to the ids the world uses).</summary>
    public required string Tokenizer { get; init; }
    /// <summary>Pretraining on the corpus (biographies + mixed QA); the target and oracle fine-tunes start from it.</summary>
    public required FinetuneSpec Pretrain { get; init; }
}
