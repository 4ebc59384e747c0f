using DslUnlearn.Data;
using DslUnlearn.Data.Testbed;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Text;

namespace DslUnlearn.Tests.Data.Testbed;

/// <summary>The QA fine-tune's rows after a drawn context (testbed-check ft_context=): where the context goes, how often, what it may quote.</summary>
public class TestbedFinetuneRowsTests
{
    private static readonly PromptSpec Prompt = new() { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " };
    private static readonly CharTokenizer Tok = new();

    private static (BiographyWorld World, QaDataset Data) World()
    {
        var w = BiographyWorld.Generate(20, 2, BiographyWorldTests.Spec(mixed: 0.5, holdout: 2));
        return (w, TestbedData.ToQaDataset(w));
    }

    [Fact]
    public void A_context_only_goes_before_the_question_tag_and_the_loss_stays_on_the_same_answer()
    {
        var (w, d) = World();
        var rows = d.Forget.Concat(d.FinetuneRetain).ToList();
        var plain = new QaEncoder(Tok, Prompt).EncodeAll(rows);
        Assert.Equal(plain.Select(r => r.Ids), TestbedFinetuneRows.Encode(w, rows, Tok, Prompt, 0).Select(r => r.Ids)); // share 0: the plain rows
        var with = TestbedFinetuneRows.Encode(w, rows, Tok, Prompt, 0.5);
        Assert.Equal(with.Select(r => r.Ids), TestbedFinetuneRows.Encode(w, rows, Tok, Prompt, 0.5).Select(r => r.Ids)); // deterministic
        int contexted = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(plain[i].AnswerLength, with[i].AnswerLength);
            Assert.Equal(plain[i].Ids[plain[i].PromptLength..], with[i].Ids[with[i].PromptLength..]); // the answer (and EOS), the only tokens with a loss
            string prompt = Tok.Decode(with[i].Ids[1..with[i].PromptLength]), own = Prompt.QuestionTag + rows[i].Question + Prompt.AnswerTag;
            Assert.EndsWith(own, prompt, StringComparison.Ordinal);
            if (prompt.Length == own.Length) continue;
            contexted++;
            Assert.EndsWith("\n", prompt[..^own.Length], StringComparison.Ordinal); // every context kind ends its line before the question
        }
        // 240 rows (20 authors x 12 attributes) at a drawn 50 %, and 4 in 20 of the drawn contexts are "none": about 96.
        Assert.Equal(240, rows.Count);
        Assert.InRange(contexted, 75, 117);
        Assert.Throws<ArgumentOutOfRangeException>(() => TestbedFinetuneRows.Encode(w, rows, Tok, Prompt, 1.5));
    }

    [Fact]
    public void Contexts_quote_only_the_fine_tunes_own_wording_and_the_oracles_rows_never_name_a_forget_author()
    {
        var (w, d) = World();
        var rows = d.Forget.Concat(d.FinetuneRetain).ToList();
        var texts = TestbedFinetuneRows.Encode(w, rows, Tok, Prompt, 1.0).Select(r => Tok.Decode(r.Ids[1..r.PromptLength])).ToList();
        var trained = rows.Select(r => r.Question).ToHashSet();
        foreach (var qa in w.Qa.SelectMany(q => q))
        {
            Assert.DoesNotContain(texts, t => t.Contains(qa.HeldOutQuestion, StringComparison.Ordinal)); // ES perturb's wording stays held out
            foreach (var other in qa.Questions.Skip(1).Where(q => !trained.Contains(q)))
                Assert.DoesNotContain(texts, t => t.Contains(Prompt.QuestionTag + other + Prompt.AnswerTag, StringComparison.Ordinal));
        }
        foreach (int h in w.AuthorsWith(AuthorRole.Holdout)) Assert.DoesNotContain(texts, t => t.Contains(w.Authors[h].Name, StringComparison.Ordinal));

        var oracle = TestbedFinetuneRows.Encode(w, d.FinetuneRetain.ToList(), Tok, Prompt, 1.0).Select(r => Tok.Decode(r.Ids)).ToList();
        foreach (int f in w.AuthorsWith(AuthorRole.Forget))
            Assert.DoesNotContain(oracle, t => t.Contains(w.Authors[f].Name, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => TestbedFinetuneRows.Encode(w, [rows[0] with { Question = "Who is this?" }], Tok, Prompt, 1.0));
    }
}
