namespace DslUnlearn.Data;

/// <summary>One question-answer pair about a fictitious author.</summary>
/// <param name="Index">Position within its split (the key of per-sample results).</param>
/// <param name="Author">Author the pair is about; splits are made of whole authors.</param>
public sealed record QaExample(int Index, string Author, string Question, string Answer, string ParaphrasedQuestion);

/// <summary>Forget and retain splits; the target model is fine-tuned on both.</summary>
public sealed record QaDataset(IReadOnlyList<QaExample> Forget, IReadOnlyList<QaExample> Retain)
{
    public IEnumerable<QaExample> All => Forget.Concat(Retain);

    public IReadOnlyList<QaExample> Split(Specs.SplitKind split) => split switch
    {
        Specs.SplitKind.Forget => Forget,
        Specs.SplitKind.Retain => Retain,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };
}
