namespace DslUnlearn.Data;

/// <summary>One question-answer pair about a fictitious author.</summary>
/// <param name="Index">Position within its split (the key of per-sample results).</param>
/// <param name="Author">Author the pair is about; splits are made of whole authors.</param>
/// <param name="ParaphrasedQuestion">The question reworded (TOFU's paraphrased_question); null for rows that are only
/// trained on or used as non-members (TOFU's retainXX.json rows), which no paraphrase-based metric reads.</param>
public sealed record QaExample(int Index, string Author, string Question, string Answer, string? ParaphrasedQuestion)
{
    /// <summary>The answer reworded, same facts (TOFU's paraphrased_answer); null when the source has none
    /// (TOFU's real_authors and world_facts). The truth ratio then uses <see cref="Answer"/> as the true answer.</summary>
    public string? ParaphrasedAnswer { get; init; }

    /// <summary>Wrong answers of the same template (TOFU's perturbed_answer); empty when the source has none.</summary>
    public IReadOnlyList<string> PerturbedAnswers { get; init; } = [];

    /// <summary>
    /// The answer the truth ratio treats as true. TOFU's forget and retain evaluation rows carry a paraphrased answer;
    /// for real_authors and world_facts TOFU's config compares against the answer itself, and their loader sets
    /// <see cref="ParaphrasedAnswer"/> to the answer explicitly. A row without one is an error, never a fallback.
    /// </summary>
    public string TrueAnswerForTruthRatio => ParaphrasedAnswer ?? throw new ArgumentException(
        $"example {Index} (author '{Author}') has no paraphrased answer, which the truth ratio compares against; " +
        "evaluate on TOFU's *_perturbed files or the built-in data.");

    /// <summary>The paraphrased question; an error naming the row when it has none (never the original question).</summary>
    public string RequireParaphrasedQuestion() => ParaphrasedQuestion ?? throw new ArgumentException(
        $"example {Index} (author '{Author}') has no paraphrased question, which this metric asks; evaluate on TOFU's *_perturbed files or the built-in data.");

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

/// <summary>
/// The splits of a run (docs/evaluation-protocol.md):
/// <list type="bullet">
/// <item><see cref="Forget"/>: trained on by the target, unlearned, and measured.</item>
/// <item><see cref="RetainTrain"/>: what the retain terms of unlearning methods (GD, KL, NPO-GD...) and attacks train on.</item>
/// <item><see cref="RetainEval"/>: what retain metrics and the calibration criterion measure; never in a retain-loss batch.
/// On TOFU these are retain_perturbed.json's rows (same question and answer as the first 400 retain rows, plus the
/// paraphrased and perturbed fields).</item>
/// <item><see cref="Holdout"/>: non-members, never trained on; membership-inference AUCs and privleak compare forget against them.</item>
/// <item><see cref="Auxiliary"/>: further evaluation sets (TOFU's real_authors and world_facts, for model_utility).</item>
/// </list>
/// The target is fine-tuned on forget + <see cref="FinetuneRetain"/> (both retain parts), the oracle on <see cref="FinetuneRetain"/>.
/// </summary>
public sealed record QaDataset(IReadOnlyList<QaExample> Forget, IReadOnlyList<QaExample> RetainTrain, IReadOnlyList<QaExample> RetainEval)
{
    /// <summary>Non-members (never trained on); empty when the spec provides none.</summary>
    public IReadOnlyList<QaExample> Holdout { get; init; } = [];

    /// <summary>Named auxiliary evaluation sets (TOFU: "real_authors", "world_facts"); empty for synthetic data.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<QaExample>> Auxiliary { get; init; } = new Dictionary<string, IReadOnlyList<QaExample>>();

    /// <summary>
    /// Every retain row the target and the oracle are fine-tuned on, in data order: the evaluation authors come first
    /// in both TOFU (retain_perturbed is the first 20 retain authors) and the built-in data, so this is the retain file's order.
    /// Fine-tuning reads only question and answer, which the evaluation rows share with their training rows.
    /// </summary>
    public IEnumerable<QaExample> FinetuneRetain => RetainEval.Concat(RetainTrain);

    /// <summary>Every row some stage encodes (training, metrics, holdout, auxiliary sets): what the length check covers.</summary>
    public IEnumerable<QaExample> All => Forget.Concat(RetainEval).Concat(RetainTrain).Concat(Holdout).Concat(Auxiliary.Values.SelectMany(v => v));

    /// <summary>The rows a metric measures on a split: forget, or the retain evaluation rows.</summary>
    public IReadOnlyList<QaExample> Split(Specs.Vocabulary.SplitKind split) => split switch
    {
        Specs.Vocabulary.SplitKind.Forget => Forget,
        Specs.Vocabulary.SplitKind.Retain => RetainEval,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };

    /// <summary>The holdout when there is one, else null (what <see cref="Metrics.MetricContext.Holdout"/> takes).</summary>
    public IReadOnlyList<QaExample>? HoldoutOrNull => Holdout.Count == 0 ? null : Holdout;

    /// <summary>
    /// The default number of retain authors that are evaluated rather than trained on by retain terms: a ninth of the
    /// retain authors, rounded up (TOFU forget10: 20 of 180, UWC's split), at most <paramref name="cap"/> and always
    /// leaving one author to train on (when there are two or more).
    /// </summary>
    public static int DefaultRetainEvalAuthors(int retainAuthors, int cap = int.MaxValue)
        => retainAuthors <= 1 ? retainAuthors : Math.Max(1, Math.Min(Math.Min(cap, retainAuthors - 1), (retainAuthors + 8) / 9));
}
