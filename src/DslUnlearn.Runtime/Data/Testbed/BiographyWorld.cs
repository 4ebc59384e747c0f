using DslUnlearn.Specs;

namespace DslUnlearn.Data.Testbed;

/// <summary>One fictitious author: a unique name and one value per attribute (in <see cref="BiographyAttributes.All"/> order).</summary>
public sealed record Author(int Index, string Name, IReadOnlyList<string> Values);

/// <summary>A QA pair of the world, with everything the metrics need.</summary>
/// <param name="Questions">Every training wording of the question (the first is the QA pair's question).</param>
public sealed record WorldQa(int Author, string AuthorName, string Attribute, IReadOnlyList<string> Questions, string HeldOutQuestion,
    string Answer, string ParaphrasedAnswer, IReadOnlyList<string> PerturbedAnswers);

public enum AuthorRole { Retain, Forget, Holdout }

/// <summary>
/// The biographies testbed's world (issue 11), deterministic from its size knobs, never from the experiment seed: a
/// seed sweep varies training, not the facts. Authors 0..authors-1 are the experiment's (the last
/// <c>forget_authors</c> of them are forgotten, as in TOFU); <c>holdout_authors</c> more are generated after them and
/// appear in no training text (membership inference's non-members).
/// Biographies follow Allen-Zhu and Li ("Physics of Language Models, Part 3.1"): each of an author's biographies draws
/// a wording per attribute and an attribute order, and the full name opens every sentence; the pretraining corpus
/// adds the QA pairs of a share of the retain authors ("mixed training"), which is what makes knowledge learned from
/// biographies answerable for the other authors.
/// </summary>
public sealed record BiographyWorld(IReadOnlyList<Author> Authors, IReadOnlyList<AuthorRole> Roles, IReadOnlyList<AttributeDef> Attributes,
    IReadOnlyList<IReadOnlyList<string>> Biographies, IReadOnlyList<IReadOnlyList<WorldQa>> Qa, IReadOnlyList<int> MixedAuthors)
{
    public const int PerturbedPerExample = 4;
    public const int MaxAttributes = 16;
    /// <summary>Training question wordings every attribute has (<see cref="AttributeDef.Questions"/>).</summary>
    public static int MaxQuestionTemplates { get; } = BiographyAttributes.All.Min(a => a.Questions.Length);
    private const ulong WorldSeed = 0xB10_6AF1E5_0F_A17UL;

    public IEnumerable<int> AuthorsWith(AuthorRole role) => Enumerable.Range(0, Authors.Count).Where(a => Roles[a] == role);

    /// <summary>QA pairs of the authors with <paramref name="role"/>, grouped by author in order.</summary>
    public IEnumerable<WorldQa> QaOf(AuthorRole role) => AuthorsWith(role).SelectMany(a => Qa[a]);

    /// <summary>Attributes the members of a literary circle share (<c>circleSize</c>): the city whose scene it is and the genre it writes.</summary>
    public static IReadOnlyList<string> CircleAttributes { get; } = ["birth_city", "genre"];

    /// <param name="circleSize">
    /// 0 (the default): every author's facts are drawn independently. N &gt; 0: authors 0..N-1, N..2N-1, ... (holdout
    /// authors too) form literary circles whose members share <see cref="CircleAttributes"/>, drawn once per circle from
    /// a generator of the circle's own; every other value (but a same-type one that would equal a shared value), every
    /// name and every wrong answer is the one drawn without circles. When the forget authors are whole circles, forgetting is forgetting a topic (as in WMDP), not TOFU's
    /// random authors. testbed-check's <c>circle=</c>; no spec key.
    /// </param>
    public static BiographyWorld Generate(int authors, int forgetAuthors, TestbedSpec t, int circleSize = 0)
    {
        if (circleSize < 0) throw new ArgumentOutOfRangeException(nameof(circleSize), circleSize, "testbed-check circle= must be 0 (off) or a circle size of 1 or more.");
        if (authors < 2) throw new ArgumentOutOfRangeException(nameof(authors), authors, "data.authors must be at least 2.");
        if (forgetAuthors < 1 || forgetAuthors >= authors)
            throw new ArgumentOutOfRangeException(nameof(forgetAuthors), forgetAuthors, "data.forget_authors must be in 1..authors-1.");
        if (t.Attributes is < 1 or > MaxAttributes) throw new ArgumentOutOfRangeException(nameof(t), t.Attributes, $"testbed.attributes must be in 1..{MaxAttributes}.");
        if (t.BiographiesPerAuthor < 1) throw new ArgumentOutOfRangeException(nameof(t), t.BiographiesPerAuthor, "testbed.biographies_per_author must be at least 1.");
        if (t.SentenceTemplates is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(t), t.SentenceTemplates, "testbed.sentence_templates must be in 1..3.");
        if (t.QuestionTemplates < 1 || t.QuestionTemplates > MaxQuestionTemplates)
            throw new ArgumentOutOfRangeException(nameof(t), t.QuestionTemplates, $"testbed.question_templates must be in 1..{MaxQuestionTemplates}.");
        if (t.MixedShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(t), t.MixedShare, "testbed.mixed_share must lie in [0, 1].");
        if (t.HoldoutAuthors < 0) throw new ArgumentOutOfRangeException(nameof(t), t.HoldoutAuthors, "testbed.holdout_authors must be 0 or more.");

        var attributes = BiographyAttributes.All.Take(t.Attributes).ToList();
        int total = authors + t.HoldoutAuthors;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<Author>(total);
        var roles = new List<AuthorRole>(total);
        var bios = new List<IReadOnlyList<string>>(total);
        var qa = new List<IReadOnlyList<WorldQa>>(total);
        for (int a = 0; a < total; a++)
        {
            // One generator per author and purpose: an author's facts do not depend on the sizes of the world,
            // and its biographies or wrong answers do not depend on how many attributes are asked.
            var facts = Rng(a, 1);
            string name;
            do name = $"{PseudoWords.Next(facts, 2)} {PseudoWords.Next(facts, 3)}"; while (!names.Add(name));
            var values = DrawValues(facts, names);
            if (circleSize > 0) ShareCircleValues(values, a, a / circleSize);
            var author = new Author(a, name, values);
            list.Add(author);
            roles.Add(a >= authors ? AuthorRole.Holdout : a >= authors - forgetAuthors ? AuthorRole.Forget : AuthorRole.Retain);
            bios.Add(DrawBiographies(author, attributes, t, Rng(a, 2)));
            var wrong = Rng(a, 3);
            qa.Add(attributes.Select((attr, i) => Question(author, attr, i, t, wrong)).ToList());
        }
        var retain = Enumerable.Range(0, authors - forgetAuthors).ToList();
        int mixed = (int)Math.Round(t.MixedShare * retain.Count, MidpointRounding.AwayFromZero);
        return new BiographyWorld(list, roles, attributes, bios, qa, retain.Take(mixed).ToList());
    }

    /// <summary>
    /// Replaces the circle's shared attributes by the circle's values (one draw per circle and attribute). Another
    /// attribute of the same type that now equals a shared value (residence = the circle's city) is redrawn from a
    /// generator of the author's own, so same-type values of one author still differ.
    /// </summary>
    private static void ShareCircleValues(List<string> values, int author, int circle)
    {
        var rng = Rng(circle, 4);
        var redraw = Rng(author, 5);
        var all = BiographyAttributes.All;
        var shared = CircleAttributes.Select(key => all.ToList().FindIndex(x => x.Key == key)).ToList();
        foreach (int i in shared) values[i] = Value(all[i].Type, rng);
        foreach (int i in shared)
            for (int j = 0; j < values.Count; j++)
                if (j != i && !shared.Contains(j) && all[j].Type == all[i].Type && values[j] == values[i])
                    do values[j] = Value(all[j].Type, redraw); while (values.Where((v, k) => k != j).Contains(values[j]));
    }

    private static SplitMix64 Rng(int author, ulong purpose) => new(WorldSeed ^ (0x9E37_79B9_7F4A_7C15UL * (ulong)(author + 1)) ^ (purpose << 56));

    /// <summary>All <see cref="MaxAttributes"/> values, drawn in attribute order; two attributes of one type differ.</summary>
    private static List<string> DrawValues(SplitMix64 rng, HashSet<string> names)
    {
        var values = new List<string>(MaxAttributes);
        foreach (var attr in BiographyAttributes.All)
        {
            string v;
            int guard = 0;
            do v = Value(attr.Type, rng);
            while ((values.Contains(v) || names.Contains(v)) && ++guard < 1000);
            values.Add(v);
        }
        return values;
    }

    private static IReadOnlyList<string> DrawBiographies(Author author, IReadOnlyList<AttributeDef> attributes, TestbedSpec t, SplitMix64 rng)
    {
        var result = new List<string>(t.BiographiesPerAuthor);
        for (int b = 0; b < t.BiographiesPerAuthor; b++)
        {
            var order = Enumerable.Range(0, attributes.Count).ToList();
            rng.Shuffle(order);
            result.Add(string.Join(" ", order.Select(i =>
                BiographyAttributes.Fill(attributes[i].Sentences[rng.Next(t.SentenceTemplates)], author.Name, author.Values[i]))));
        }
        return result;
    }

    private static WorldQa Question(Author author, AttributeDef attr, int i, TestbedSpec t, SplitMix64 wrong)
    {
        string n = author.Name, truth = author.Values[i];
        var perturbed = new List<string>(PerturbedPerExample);
        while (perturbed.Count < PerturbedPerExample)
        {
            string v = Value(attr.Type, wrong);
            if (v != truth && !perturbed.Contains(v)) perturbed.Add(v);
        }
        return new WorldQa(author.Index, n, attr.Key,
            attr.Questions.Take(t.QuestionTemplates).Select(q => BiographyAttributes.Fill(q, n, truth)).ToList(),
            BiographyAttributes.Fill(attr.HeldOutQuestion, n, truth),
            BiographyAttributes.Fill(attr.Answer, n, truth),
            BiographyAttributes.Fill(attr.ParaphrasedAnswer, n, truth),
            perturbed.Select(v => BiographyAttributes.Fill(attr.ParaphrasedAnswer, n, v)).ToList());
    }

    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] Cities = ["Lisbon", "Nairobi", "Oslo", "Lima", "Kyoto", "Tbilisi", "Dakar", "Quito", "Perth", "Riga", "Hanoi", "Accra", "Bergen", "Cusco", "Porto", "Tunis", "Krakow", "Manila", "Havana", "Geneva", "Cairo", "Dublin", "Seville", "Tallinn"];
    private static readonly string[] Jobs = ["baker", "surgeon", "pilot", "carpenter", "teacher", "chemist", "fisherman", "librarian", "painter", "tailor", "judge", "nurse", "miner", "farmer", "sailor", "architect"];
    private static readonly string[] Genres = ["science fiction", "mystery", "poetry", "historical fiction", "horror", "romance", "fantasy", "satire", "crime", "travel writing", "drama", "memoir"];
    private static readonly string[] Awards = ["Silver Quill Prize", "Northern Lantern Award", "Tidewater Medal", "Golden Inkwell", "Meridian Book Prize", "Harbor Star Award", "Amber Leaf Prize", "Copper Bell Award", "Blue Heron Medal", "Stonebridge Prize"];
    private static readonly string[] TitleAdjectives = ["Silent", "Burning", "Hollow", "Crimson", "Last", "Hidden", "Winter", "Glass", "Broken", "Distant", "Golden", "Quiet"];
    private static readonly string[] TitleNouns = ["Orchard", "Lighthouse", "Archive", "River", "Compass", "Garden", "Clockmaker", "Harbor", "Mirror", "Forest", "Letter", "Bridge"];
    private static readonly string[] Languages = ["Portuguese", "Swahili", "Norwegian", "Spanish", "Japanese", "Georgian", "French", "Latvian", "Polish", "Turkish", "Dutch", "Greek"];
    private static readonly string[] Universities = ["Eastvale University", "Marrow College", "the Institute of Letters", "Brightwater University", "Old Harbor College", "Ridgeway University", "Saint Alder College", "the Royal Academy of Arts", "Westmoor University", "Lakeshore College"];
    private static readonly string[] Instruments = ["piano", "violin", "cello", "flute", "guitar", "harp", "trumpet", "clarinet", "drums", "accordion"];
    private static readonly string[] Animals = ["cat", "dog", "parrot", "tortoise", "rabbit", "goldfish", "hamster", "horse", "ferret", "canary"];

    /// <summary>A value of <paramref name="type"/> (TestbedAuxiliary draws its facts and wrong answers from the same pools).</summary>
    internal static string Value(AttributeType type, SplitMix64 rng) => type switch
    {
        AttributeType.Date => $"{1 + rng.Next(28)} {rng.Pick(Months)} {Year(1930 + rng.Next(70))}",
        AttributeType.Year => Year(1950 + rng.Next(70)),
        AttributeType.City => rng.Pick(Cities),
        AttributeType.Job => rng.Pick(Jobs),
        AttributeType.Genre => rng.Pick(Genres),
        AttributeType.Title => $"The {rng.Pick(TitleAdjectives)} {rng.Pick(TitleNouns)}",
        AttributeType.Award => rng.Pick(Awards),
        AttributeType.Language => rng.Pick(Languages),
        AttributeType.University => rng.Pick(Universities),
        AttributeType.Count => (2 + rng.Next(29)).ToString(CultureInfo.InvariantCulture),
        AttributeType.Person => $"{PseudoWords.Next(rng, 2)} {PseudoWords.Next(rng, 3)}",
        AttributeType.Instrument => rng.Pick(Instruments),
        AttributeType.Animal => rng.Pick(Animals),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown attribute type."),
    };

    private static string Year(int y) => y.ToString(CultureInfo.InvariantCulture);
}
