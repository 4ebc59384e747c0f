using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Data.Testbed;

/// <summary>
/// The pretraining corpus of the biographies testbed: every biography of the authors trained on, plus the QA pairs of
/// the mixed-training authors in every training wording, each after a drawn context: nothing, other QA pairs in the
/// same format, distractor sentences, a sentence of another author's biography, or a neutral prefix. The varied
/// context is what keeps answers stable when an attack puts text before a question; the neutral prefixes are plain
/// task phrasings, none of them an attack template (Attacks/JailbreakTemplates.cs), so attacks stay out of
/// distribution (a test checks this). Optionally a share of the QA documents also carries neutral text after the
/// question (<see cref="NeutralSuffixes"/>), as real questions often do; those are no attack template either.
/// </summary>
public static class TestbedCorpus
{
    private const ulong ContextSeed = 0xC0_47E7_7D0C_5EEDUL;
    // A generator of its own, so that adding suffixes leaves every other document's context exactly as it was.
    private const ulong SuffixSeed = 0x5F_F1C5_5EED_0001UL;
    // Likewise for the context before biographies.
    private const ulong BioContextSeed = 0xB1_0C07_7E47_0002UL;

    public static IReadOnlyList<string> NeutralPrefixes { get; } =
    [
        "Here is a question about an author.", "Answer the next question.", "A reader asks:", "Quiz time.",
        "From the author files:", "Short question.", "One more question about books.", "Next item.",
    ];

    /// <summary>
    /// Text a reader puts after a question: thanks, why they ask, where they looked. Plain user phrasings, never an
    /// instruction about the reply and no attack template (a test checks that none shares three words in a row with one).
    /// </summary>
    public static IReadOnlyList<string> NeutralSuffixes { get; } =
    [
        "Thanks.", "I am writing a school report.", "A friend wanted to know.", "It came up at our book club.",
        "I could not find it in the catalog.", "Just curious.", "My teacher mentioned this author.", "I saw the name in a library.",
    ];

    public static IReadOnlyList<string> Distractors { get; } =
    [
        "The library opens at nine in the morning.", "Rain fell over the harbor for a week.", "Most bookshops close on Sundays.",
        "The train to the coast was late again.", "Paper was expensive that winter.", "A new cafe opened near the station.",
        "The festival drew a large crowd.", "Printing presses were loud and slow.", "The museum moved to a larger building.",
        "Few people read by candlelight today.", "The bridge was painted green last spring.", "Many readers prefer short stories.",
    ];

    /// <summary>
    /// The documents to pretrain on, in a fixed order (the trainer shuffles): biographies of the retain authors, and of
    /// the forget authors unless <paramref name="withForget"/> is false (the oracle's base never sees them), then the
    /// mixed-training QA documents. Holdout authors never appear. <paramref name="suffixShare"/> of the QA documents (drawn
    /// per document) put one of <see cref="NeutralSuffixes"/> after the question, before the answer tag; at 0 the corpus
    /// is the one without suffixes, byte for byte. <paramref name="bioContextShare"/> of the biographies (drawn per biography)
    /// follow a context drawn as for the QA documents (other QA pairs, distractors, another author's sentence, a neutral
    /// prefix), so facts learned from biographies, the forget authors' too, are also read after text; at 0 the biographies
    /// stand alone, as before.
    /// </summary>
    public static IReadOnlyList<string> Documents(BiographyWorld world, PromptSpec prompt, bool withForget, double suffixShare = 0, double bioContextShare = 0)
    {
        if (suffixShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(suffixShare), suffixShare, "the share of QA documents with a suffix is between 0 and 1");
        if (bioContextShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(bioContextShare), bioContextShare, "the share of biographies with a context is between 0 and 1");
        var docs = new List<string>();
        var trained = world.AuthorsWith(AuthorRole.Retain).Concat(withForget ? world.AuthorsWith(AuthorRole.Forget) : []).Order().ToList();
        var pool = world.MixedAuthors.SelectMany(a => world.Qa[a]).ToList();
        var bioRng = new SplitMix64(BioContextSeed);
        int bioPerMille = (int)Math.Round(bioContextShare * 1000);
        foreach (int a in trained)
            foreach (var bio in world.Biographies[a])
                docs.Add(bioPerMille > 0 && bioRng.Next(1000) < bioPerMille ? Context(world, trained, pool, a, null, prompt, bioRng) + bio : bio);

        var rng = new SplitMix64(ContextSeed);
        var suffixRng = new SplitMix64(SuffixSeed);
        int suffixPerMille = (int)Math.Round(suffixShare * 1000);
        foreach (var qa in pool)
            foreach (var question in qa.Questions)
            {
                var context = Context(world, trained, pool, qa.Author, qa, prompt, rng);
                var suffix = suffixRng.Next(1000) < suffixPerMille ? " " + NeutralSuffixes[suffixRng.Next(NeutralSuffixes.Count)] : "";
                docs.Add(context + prompt.QuestionTag + question + suffix + prompt.AnswerTag + qa.Answer);
            }
        return docs;
    }

    /// <param name="trained">Authors whose biography sentences a context may quote.</param>
    /// <param name="pool">QA pairs a context may quote (in any of their wordings).</param>
    /// <param name="self">The QA pair the context goes before (never its own context), or null before a biography of <paramref name="author"/>.</param>
    internal static string Context(BiographyWorld world, List<int> trained, List<WorldQa> pool, int author, WorldQa? self, PromptSpec prompt, SplitMix64 rng)
    {
        // Out of 20: no context 4, other QA pairs 8 (the most common real context of a question), distractors 3,
        // another author's biography sentence 2, a neutral prefix 3.
        int draw = rng.Next(20);
        int kind = draw < 4 ? 0 : draw < 12 ? 1 : draw < 15 ? 2 : draw < 17 ? 3 : 4;
        int count = 1 + rng.Next(2);
        switch (kind)
        {
            case 1 when pool.Count > 1: // other QA pairs, formatted like the question
                var parts = new List<string>();
                while (parts.Count < count)
                {
                    var d = pool[rng.Next(pool.Count)];
                    if (d == self) continue;
                    parts.Add(prompt.QuestionTag + d.Questions[rng.Next(d.Questions.Count)] + prompt.AnswerTag + d.Answer + "\n");
                }
                return string.Concat(parts);
            case 2:
                return string.Concat(Enumerable.Range(0, count).Select(_ => Distractors[rng.Next(Distractors.Count)] + " ")) + "\n";
            case 3: // one sentence of a biography of another trained author
                int other;
                do other = trained[rng.Next(trained.Count)]; while (other == author && trained.Count > 1);
                var bio = world.Biographies[other][rng.Next(world.Biographies[other].Count)];
                var sentences = bio.Split(". ", StringSplitOptions.RemoveEmptyEntries);
                var s = sentences[rng.Next(sentences.Length)].TrimEnd('.');
                return s + ".\n";
            case 4:
                return NeutralPrefixes[rng.Next(NeutralPrefixes.Count)] + "\n";
            default:
                return "";
        }
    }
}
