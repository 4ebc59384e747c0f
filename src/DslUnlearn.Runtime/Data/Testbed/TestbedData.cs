namespace DslUnlearn.Data.Testbed;

/// <summary>
/// The thin adapter from the biographies world to the runtime's <see cref="QaDataset"/>: one QA pair per (author,
/// attribute), asked with the first training wording; the held-out wording is the paraphrased question (ES perturb),
/// the paraphrased answer and the same-type wrong answers feed the truth ratio. Holdout authors' pairs are kept in
/// <see cref="Holdout"/> (QaDataset has no holdout split yet).
/// </summary>
public static class TestbedData
{
    public static QaDataset ToQaDataset(BiographyWorld world)
        => new(Examples(world.QaOf(AuthorRole.Forget)), Examples(world.QaOf(AuthorRole.Retain)));

    public static IReadOnlyList<QaExample> Holdout(BiographyWorld world) => Examples(world.QaOf(AuthorRole.Holdout));

    private static List<QaExample> Examples(IEnumerable<WorldQa> rows)
        => rows.Select((q, i) => new QaExample(i, q.AuthorName, q.Questions[0], q.Answer, q.HeldOutQuestion)
        {
            ParaphrasedAnswer = q.ParaphrasedAnswer,
            PerturbedAnswers = q.PerturbedAnswers,
        }).ToList();
}
