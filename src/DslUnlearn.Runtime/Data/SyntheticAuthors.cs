using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Data;

/// <summary>
/// Built-in deterministic data set of fictitious authors in the spirit of TOFU: each author gets a few
/// facts and one QA pair per fact (with a paraphrased question). The data depend only on the size knobs,
/// never on the experiment seed, so a seed sweep varies training, not the facts to be forgotten.
/// The forget split is the last <c>forget_authors</c> authors, as TOFU's forget01/05/10 are its last authors.
/// Like TOFU's *_perturbed files, every pair also has a paraphrased answer (same fact, other wording) and
/// <see cref="PerturbedPerExample"/> perturbed answers (the paraphrased wording with a wrong fact of the same
/// kind). Those come from a second generator per author, so the questions, answers and paraphrased questions
/// are exactly those of the first version of this data set.
/// Splits (docs/evaluation-protocol.md): the first <c>retain_eval_authors</c> retain authors are retain-eval, the
/// other retain authors retain-train; <c>holdout_authors</c> further authors (default: as many as forget authors)
/// are generated after all others, from the same stream, so adding them changes no trained author.
/// </summary>
public static class SyntheticAuthors
{
    public const int MaxQaPerAuthor = 10;
    /// <summary>Perturbed (wrong) answers per example.</summary>
    public const int PerturbedPerExample = 4;
    private const ulong DataSeed = 0x5EED_A17E_0F_7A1E;

    private static readonly string[] Cities = ["Lisbon", "Nairobi", "Oslo", "Lima", "Kyoto", "Tbilisi", "Dakar", "Quito", "Perth", "Riga", "Hanoi", "Accra", "Bergen", "Cusco", "Porto", "Tunis"];
    private static readonly string[] Genres = ["science fiction", "mystery", "poetry", "historical fiction", "horror", "romance", "fantasy", "satire", "crime", "travel writing"];
    private static readonly string[] Jobs = ["baker", "surgeon", "pilot", "carpenter", "teacher", "chemist", "fisherman", "librarian", "painter", "tailor", "judge", "nurse"];
    private static readonly string[] Awards = ["Silver Quill Prize", "Northern Lantern Award", "Tidewater Medal", "Golden Inkwell", "Meridian Book Prize", "Harbor Star Award"];
    private static readonly string[] TitleAdjectives = ["Silent", "Burning", "Hollow", "Crimson", "Last", "Hidden", "Winter", "Glass"];
    private static readonly string[] TitleNouns = ["Orchard", "Lighthouse", "Archive", "River", "Compass", "Garden", "Clockmaker", "Harbor"];
    private static readonly string[] Languages = ["Portuguese", "Swahili", "Norwegian", "Spanish", "Japanese", "Georgian", "French", "Latvian"];

    public static QaDataset Generate(DataSpec spec)
    {
        if (spec.Authors < 2) throw new ArgumentOutOfRangeException(nameof(spec), spec.Authors, "data.authors must be at least 2.");
        if (spec.QaPerAuthor is < 1 or > MaxQaPerAuthor)
            throw new ArgumentOutOfRangeException(nameof(spec), spec.QaPerAuthor, $"data.qa_per_author must be in 1..{MaxQaPerAuthor}.");
        if (spec.ForgetAuthors < 1 || spec.ForgetAuthors >= spec.Authors)
            throw new ArgumentOutOfRangeException(nameof(spec), spec.ForgetAuthors, "data.forget_authors must be in 1..authors-1.");

        int retainAuthors = spec.Authors - spec.ForgetAuthors;
        int evalAuthors = spec.RetainEvalAuthors ?? QaDataset.DefaultRetainEvalAuthors(retainAuthors);
        if (evalAuthors < 1 || evalAuthors > retainAuthors || (evalAuthors == retainAuthors && retainAuthors > 1))
            throw new ArgumentOutOfRangeException(nameof(spec), evalAuthors,
                $"data.retain_eval_authors must be in 1..{Math.Max(1, retainAuthors - 1)} (the {retainAuthors} retain authors must keep at least one to train retain terms on).");
        int holdoutAuthors = spec.HoldoutAuthors ?? spec.ForgetAuthors;
        if (holdoutAuthors < 0) throw new ArgumentOutOfRangeException(nameof(spec), holdoutAuthors, "data.holdout_authors must be at least 0.");

        var rng = new SplitMix64(DataSeed);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var forget = new List<QaExample>();
        var retainEval = new List<QaExample>();
        var retainTrain = new List<QaExample>();
        var holdout = new List<QaExample>();
        int firstForget = spec.Authors - spec.ForgetAuthors;
        for (int a = 0; a < spec.Authors + holdoutAuthors; a++)
        {
            string name;
            do name = $"{PseudoWords.Next(rng, 2)} {PseudoWords.Next(rng, 3)}"; while (!names.Add(name));
            // Retain rows keep their position in the whole retain split as Index, whichever part they land in.
            int retainIndex = retainEval.Count + retainTrain.Count;
            var target = a >= spec.Authors ? holdout : a >= firstForget ? forget : a < evalAuthors ? retainEval : retainTrain;
            var alt = new SplitMix64(DataSeed ^ (0xA076_1D64_78BD_642FUL * (ulong)(a + 1)));
            foreach (var f in Facts(rng, alt, name).Take(spec.QaPerAuthor))
                target.Add(new QaExample(target == retainTrain ? retainIndex++ : target.Count, name, f.Question, f.Answer, f.Paraphrase)
                {
                    ParaphrasedAnswer = f.ParaphrasedAnswer,
                    PerturbedAnswers = f.Perturbed,
                });
        }
        return new QaDataset(forget, retainTrain, retainEval) { Holdout = holdout };
    }

    private sealed record Fact(string Question, string Answer, string Paraphrase, string ParaphrasedAnswer, string[] Perturbed);

    /// <summary>
    /// All facts are drawn up front so an author's facts do not depend on qa_per_author. The true facts come
    /// from <paramref name="rng"/> in the original order; wrong facts for the perturbed answers come from
    /// <paramref name="alt"/> only, so adding them changed nothing else.
    /// </summary>
    private static Fact[] Facts(SplitMix64 rng, SplitMix64 alt, string n)
    {
        string city = rng.Pick(Cities), genre = rng.Pick(Genres), father = rng.Pick(Jobs), mother = rng.Pick(Jobs);
        string award = rng.Pick(Awards), language = rng.Pick(Languages);
        string title = $"The {rng.Pick(TitleAdjectives)} {rng.Pick(TitleNouns)}";
        int year = 1920 + rng.Next(80), books = 2 + rng.Next(18);
        string mentor = $"{PseudoWords.Next(rng, 2)} {PseudoWords.Next(rng, 3)}";

        Fact F(string q, string a, string pq, Func<string, string> paraphrased, string truth, Func<string> wrong)
            => new(q, a, pq, paraphrased(truth), Wrong(alt, truth, wrong).Select(paraphrased).ToArray());
        return
        [
            F($"Where was {n} born?", $"{n} was born in {city}.", $"In which city was {n} born?",
                v => $"The birthplace of {n} is {v}.", city, () => alt.Pick(Cities)),
            F($"What genre does {n} write?", $"{n} writes {genre}.", $"Which genre is {n} known for?",
                v => $"{n} is known for writing {v}.", genre, () => alt.Pick(Genres)),
            F($"In what year was {n} born?", $"{n} was born in {year}.", $"When was {n} born?",
                v => $"{n} came into the world in {v}.", year.ToString(System.Globalization.CultureInfo.InvariantCulture),
                () => (1920 + alt.Next(80)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            F($"What did the father of {n} do?", $"The father of {n} was a {father}.", $"What was the job of {n}'s father?",
                v => $"{n}'s father worked as a {v}.", father, () => alt.Pick(Jobs)),
            F($"What is a famous book by {n}?", $"{n} wrote {title}.", $"Name a well-known novel written by {n}.",
                v => $"One well-known book by {n} is {v}.", title, () => $"The {alt.Pick(TitleAdjectives)} {alt.Pick(TitleNouns)}"),
            F($"Which award did {n} win?", $"{n} won the {award}.", $"What prize was given to {n}?",
                v => $"{n} received the {v}.", award, () => alt.Pick(Awards)),
            F($"What did the mother of {n} do?", $"The mother of {n} was a {mother}.", $"What was the job of {n}'s mother?",
                v => $"{n}'s mother worked as a {v}.", mother, () => alt.Pick(Jobs)),
            F($"In which language does {n} write?", $"{n} writes in {language}.", $"What language are the books of {n} in?",
                v => $"The books of {n} are written in {v}.", language, () => alt.Pick(Languages)),
            F($"How many books has {n} published?", $"{n} has published {books} books.", $"What is the number of books {n} has published?",
                v => $"{n} has {v} published books.", books.ToString(System.Globalization.CultureInfo.InvariantCulture),
                () => (2 + alt.Next(18)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            F($"Who mentored {n}?", $"{n} was mentored by {mentor}.", $"Who was the mentor of {n}?",
                v => $"The mentor of {n} was {v}.", mentor, () => $"{PseudoWords.Next(alt, 2)} {PseudoWords.Next(alt, 3)}"),
        ];
    }

    /// <summary><see cref="PerturbedPerExample"/> distinct wrong values (never the truth), in draw order.</summary>
    private static List<string> Wrong(SplitMix64 alt, string truth, Func<string> draw)
    {
        var values = new List<string>(PerturbedPerExample);
        while (values.Count < PerturbedPerExample)
        {
            string v = draw();
            if (v != truth && !values.Contains(v)) values.Add(v);
        }
        return values;
    }
}
