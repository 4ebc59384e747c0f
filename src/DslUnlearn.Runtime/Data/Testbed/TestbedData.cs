namespace DslUnlearn.Data.Testbed;

/// <summary>
/// The thin adapter from the biographies world to the runtime's <see cref="QaDataset"/>: one QA pair per (author,
/// attribute), asked with the first training wording; the held-out wording is the paraphrased question (ES perturb),
/// the paraphrased answer and the same-type wrong answers feed the truth ratio. The first retain authors
/// (<see cref="QaDataset.DefaultRetainEvalAuthors"/>, as for the built-in data) are retain-eval, the others retain-train;
/// holdout authors' pairs are the dataset's holdout (never trained on).
/// </summary>
public static class TestbedData
{
    public static QaDataset ToQaDataset(BiographyWorld world)
    {
        var retainAuthors = world.AuthorsWith(AuthorRole.Retain).ToList();
        var evalAuthors = retainAuthors.Take(QaDataset.DefaultRetainEvalAuthors(retainAuthors.Count)).ToHashSet();
        var retain = world.QaOf(AuthorRole.Retain).ToList();
        return new(Examples(world.QaOf(AuthorRole.Forget)), Examples(retain.Where(q => !evalAuthors.Contains(q.Author))), Examples(retain.Where(q => evalAuthors.Contains(q.Author))))
        {
            Holdout = Holdout(world),
        };
    }

    public static IReadOnlyList<QaExample> Holdout(BiographyWorld world) => Examples(world.QaOf(AuthorRole.Holdout));

    private static List<QaExample> Examples(IEnumerable<WorldQa> rows)
        => rows.Select((q, i) => new QaExample(i, q.AuthorName, q.Questions[0], q.Answer, q.HeldOutQuestion)
        {
            ParaphrasedAnswer = q.ParaphrasedAnswer,
            PerturbedAnswers = q.PerturbedAnswers,
        }).ToList();
}
