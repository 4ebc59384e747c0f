namespace DslUnlearn.Data.Testbed;

/// <summary>A relation of the world facts: subjects "{P} Festival" and so on, whose value is of one attribute type.
/// Templates use {s} for the subject and {v} for the value; the value always ends the answer.</summary>
internal sealed record FactRelation(string Key, AttributeType Type, string Subject, string Sentence, string[] Questions, string Answer);

/// <summary>
/// TOFU's auxiliary sets in the testbed's own terms (<c>testbed.auxiliary_splits: true</c>), so that TOFU's
/// <c>model_utility</c> (9 parts: retain, real_authors, world_facts) runs on <c>data.source: biographies</c>:
/// <list type="bullet">
/// <item><b>real_authors</b>: <see cref="RealAuthors"/> authors of the same world whose biographies are in both
/// pretraining corpora (target and oracle), and nowhere else: never fine-tuned on, never forgotten, no QA pair in any
/// training text. As TOFU's real authors, they are what the model knows from pretraining only. One row per attribute.</item>
/// <item><b>world_facts</b>: facts about places, bridges, newspapers... of the synthetic world (no author), stated in
/// "almanac" documents of both pretraining corpora. As the mixed-training authors teach how biographies answer
/// questions, the QA pairs of half the facts of every relation are in pretraining; the other half are the split.</item>
/// </list>
/// Each row has <see cref="BiographyWorld.PerturbedPerExample"/> wrong answers (values of the same type in the answer's
/// own wording, as TOFU's options are) and its answer as the truth ratio's true answer (TOFU's and OpenUnlearning's
/// <c>base_answer_key: answer</c> for these sets); no paraphrased question. Off, nothing of this exists, so every corpus,
/// split and stage key is as before.
/// </summary>
public sealed record TestbedAuxiliary(IReadOnlyList<string> Documents, IReadOnlyDictionary<string, IReadOnlyList<QaExample>> Splits)
{
    /// <summary>Authors known from pretraining only (the real_authors split asks each of their attributes).</summary>
    public const int RealAuthors = 2;
    /// <summary>Subjects per relation; the first half of them have QA in pretraining, the second half are world_facts.</summary>
    public const int SubjectsPerRelation = 4;

    private const ulong FactSeed = 0xFAC7_5EED_0000_0003UL;
    private const ulong WrongSeed = 0xFAC7_5EED_0000_0004UL;
    private const ulong AlmanacSeed = 0xFAC7_5EED_0000_0005UL;
    private const int FactsPerAlmanac = 4;

    internal static IReadOnlyList<FactRelation> Relations { get; } =
    [
        new("festival", AttributeType.City, "{P} Festival", "The {s} is held every summer in {v}.", ["Where is the {s} held?", "In which city does the {s} take place?"], "The {s} is held in {v}."),
        new("river", AttributeType.City, "{P} River", "The {s} flows through {v}.", ["Which city does the {s} flow through?", "Through which city does the {s} run?"], "The {s} flows through {v}."),
        new("bridge", AttributeType.Year, "{P} Bridge", "The {s} was built in {v}.", ["When was the {s} built?", "In which year was the {s} built?"], "The {s} was built in {v}."),
        new("newspaper", AttributeType.Language, "{P} Herald", "The {s} is printed in {v}.", ["In which language is the {s} printed?", "What language is the {s} written in?"], "The {s} is printed in {v}."),
        new("orchestra", AttributeType.Instrument, "{P} Orchestra", "The {s} is famous for its {v} players.", ["Which instrument is the {s} famous for?", "For which instrument is the {s} known?"], "The {s} is famous for the {v}."),
        new("guild", AttributeType.Animal, "{P} Guild", "The emblem of the {s} is a {v}.", ["What animal is on the emblem of the {s}?", "Which animal does the emblem of the {s} show?"], "The emblem of the {s} is a {v}."),
    ];

    /// <summary>The auxiliary documents and splits of the world that <paramref name="authors"/>, <paramref name="forgetAuthors"/>
    /// and <paramref name="t"/> make; deterministic in them, never in the experiment seed.</summary>
    public static TestbedAuxiliary Create(int authors, int forgetAuthors, Specs.TestbedSpec t, Specs.Vocabulary.PromptSpec prompt)
    {
        // The real authors are drawn as more holdout authors of the same world: an author's facts, name and biographies
        // do not depend on how many follow it, so the experiment's own authors and holdout are exactly the world's.
        var wider = BiographyWorld.Generate(authors, forgetAuthors, t with { HoldoutAuthors = t.HoldoutAuthors + RealAuthors });
        var real = Enumerable.Range(authors + t.HoldoutAuthors, RealAuthors).ToList();
        var docs = real.SelectMany(a => wider.Biographies[a]).ToList();
        var wrong = new SplitMix64(WrongSeed);
        var realRows = real.SelectMany(a => wider.Attributes.Select((attr, i) => (attr, i, author: wider.Authors[a])))
            .Select((r, k) => Row(k, r.author.Name, BiographyAttributes.Fill(r.attr.Questions[0], r.author.Name, r.author.Values[r.i]),
                v => BiographyAttributes.Fill(r.attr.Answer, r.author.Name, v), r.author.Values[r.i], r.attr.Type, wrong))
            .ToList();

        var facts = Facts(wider);
        var almanac = new SplitMix64(AlmanacSeed);
        for (int copy = 0; copy < t.BiographiesPerAuthor; copy++)
        {
            var order = Enumerable.Range(0, facts.Count).ToList();
            almanac.Shuffle(order);
            docs.AddRange(order.Chunk(FactsPerAlmanac).Select(chunk => string.Join(" ", chunk.Select(i => facts[i].Sentence))));
        }
        foreach (var f in facts.Where(f => f.Mixed))
            foreach (var q in f.Relation.Questions)
                docs.Add(prompt.QuestionTag + Fill(q, f.Subject, f.Value) + prompt.AnswerTag + Fill(f.Relation.Answer, f.Subject, f.Value));
        var factRows = facts.Where(f => !f.Mixed)
            .Select((f, k) => Row(k, f.Subject, Fill(f.Relation.Questions[0], f.Subject, f.Value), v => Fill(f.Relation.Answer, f.Subject, v), f.Value, f.Relation.Type, wrong))
            .ToList();
        return new TestbedAuxiliary(docs, new Dictionary<string, IReadOnlyList<QaExample>> { ["real_authors"] = realRows, ["world_facts"] = factRows });
    }

    /// <summary>Every text a model is shown or scored on here (documents, questions, answers, wrong answers): what the BPE vocabulary must cover.</summary>
    public IEnumerable<string> Texts => Documents.Concat(Splits.Values.SelectMany(rows => rows).SelectMany(r => r.PerturbedAnswers.Prepend(r.Answer).Prepend(r.Question)));

    private sealed record Fact(FactRelation Relation, string Subject, string Value, bool Mixed)
    {
        public string Sentence => TestbedAuxiliary.Fill(Relation.Sentence, Subject, Value);
    }

    private static List<Fact> Facts(BiographyWorld world)
    {
        var rng = new SplitMix64(FactSeed);
        var taken = new HashSet<string>(world.Authors.Select(a => a.Name), StringComparer.Ordinal);
        var facts = new List<Fact>();
        foreach (var relation in Relations)
            for (int s = 0; s < SubjectsPerRelation; s++)
            {
                string subject;
                do subject = relation.Subject.Replace("{P}", PseudoWords.Next(rng, 2), StringComparison.Ordinal); while (!taken.Add(subject));
                facts.Add(new Fact(relation, subject, BiographyWorld.Value(relation.Type, rng), Mixed: s < SubjectsPerRelation / 2));
            }
        return facts;
    }

    private static QaExample Row(int index, string about, string question, Func<string, string> answer, string truth, AttributeType type, SplitMix64 wrong)
    {
        var values = new List<string>(BiographyWorld.PerturbedPerExample);
        while (values.Count < BiographyWorld.PerturbedPerExample)
        {
            var v = BiographyWorld.Value(type, wrong);
            if (v != truth && !values.Contains(v)) values.Add(v);
        }
        var a = answer(truth);
        return new QaExample(index, about, question, a, ParaphrasedQuestion: null) { ParaphrasedAnswer = a, PerturbedAnswers = values.Select(answer).ToList() };
    }

    private static string Fill(string template, string subject, string value) => template.Replace("{s}", subject, StringComparison.Ordinal).Replace("{v}", value, StringComparison.Ordinal);
}
