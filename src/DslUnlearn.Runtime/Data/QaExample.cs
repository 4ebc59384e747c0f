namespace DslUnlearn.Data;

/// <summary>One question-answer pair about a fictitious author.</summary>
/// <param name="Index">Position within its split (the key of per-sample results).</param>
/// <param name="Author">Author the pair is about; splits are made of whole authors.</param>
public sealed record QaExample(int Index, string Author, string Question, string Answer, string ParaphrasedQuestion)
{
    /// <summary>The answer reworded, same facts (TOFU's paraphrased_answer); null when the source has none
    /// (TOFU's real_authors and world_facts). The truth ratio then uses <see cref="Answer"/> as the true answer.</summary>
    public string? ParaphrasedAnswer { get; init; }

    /// <summary>Wrong answers of the same template (TOFU's perturbed_answer); empty when the source has none.</summary>
    public IReadOnlyList<string> PerturbedAnswers { get; init; } = [];

    /// <summary>The answer the truth ratio treats as true: the paraphrased one when present (TOFU's forget and
    /// retain sets), else the original one (real_authors, world_facts).</summary>
    public string TrueAnswerForTruthRatio => ParaphrasedAnswer ?? Answer;

    // Value equality over the list contents too (a record compares lists by reference).
    public bool Equals(QaExample? other)
        => other is not null && Index == other.Index && Author == other.Author && Question == other.Question
           && Answer == other.Answer && ParaphrasedQuestion == other.ParaphrasedQuestion
           && ParaphrasedAnswer == other.ParaphrasedAnswer && PerturbedAnswers.SequenceEqual(other.PerturbedAnswers);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Index); h.Add(Author); h.Add(Question); h.Add(Answer); h.Add(ParaphrasedQuestion); h.Add(ParaphrasedAnswer);
        foreach (var p in PerturbedAnswers) h.Add(p);
        return h.ToHashCode();
    }
}

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

    /// <summary>Keeps the first <paramref name="authors"/> retain authors (retain pairs are grouped by author, in order); null keeps all.</summary>
    public QaDataset WithRetainAuthors(int? authors, int qaPerAuthor)
    {
        if (authors is not int n) return this;
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(authors), n, "data.retain_authors must be at least 1 (or ~ for all retain authors).");
        int keep = checked(n * qaPerAuthor);
        if (keep >= Retain.Count) return this;
        return this with { Retain = Retain.Take(keep).ToList() };
    }
}
