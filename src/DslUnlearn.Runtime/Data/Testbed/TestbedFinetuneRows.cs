using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Text;

namespace DslUnlearn.Data.Testbed;

/// <summary>
/// The QA fine-tune's rows with a drawn context before a share of them, as a chat fine-tune holds multi-turn dialogues
/// and not only single questions (testbed-check's <c>ft_context=</c>; no spec key). The context is drawn as for the
/// pretraining corpus's QA documents (<see cref="TestbedCorpus"/>: other QA pairs, distractor sentences, another
/// author's biography sentence, a neutral prefix, or nothing), from a generator of its own. The other QA pairs are the
/// fine-tune's own rows in the one wording it trains on, so the fine-tune meets no question wording it did not meet
/// before, and the oracle's rows (no forget authors) never name a forget author. The loss stays on the answer.
/// </summary>
public static class TestbedFinetuneRows
{
    private const ulong ContextSeed = 0xF1_7E_C0_47_E7_7003UL;

    /// <param name="rows">The fine-tune's QA pairs (the world's, asked with their first training wording).</param>
    /// <param name="share">Rows after a drawn context (drawn per row); at 0 the rows are <see cref="QaEncoder.EncodeAll"/>'s.</param>
    public static EncodedQa[] Encode(BiographyWorld world, IReadOnlyList<QaExample> rows, ITokenizer tokenizer, PromptSpec prompt, double share)
    {
        if (share is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(share), share, "the share of fine-tune rows with a context is between 0 and 1");
        var plain = new QaEncoder(tokenizer, prompt);
        if (share == 0) return plain.EncodeAll(rows);
        var byQuestion = world.Qa.SelectMany(q => q).ToDictionary(q => (q.AuthorName, q.Questions[0]));
        // The fine-tune's own pairs, each in the wording the fine-tune asks it in.
        var pool = rows.Select(r => byQuestion.TryGetValue((r.Author, r.Question), out var q)
            ? q with { Questions = [q.Questions[0]] }
            : throw new ArgumentException($"fine-tune row '{r.Question}' of {r.Author} is not a QA pair of this world", nameof(rows))).ToList();
        var authors = pool.Select(q => q.Author).Distinct().Order().ToList();
        var rng = new SplitMix64(ContextSeed);
        int perMille = (int)Math.Round(share * 1000);
        var result = new EncodedQa[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            string context = rng.Next(1000) < perMille ? TestbedCorpus.Context(world, authors, pool, pool[i].Author, pool[i], prompt, rng) : "";
            result[i] = context.Length == 0 ? plain.Encode(rows[i]) : new QaEncoder(tokenizer, prompt with { QuestionTag = context + prompt.QuestionTag }).Encode(rows[i]);
        }
        return result;
    }
}
