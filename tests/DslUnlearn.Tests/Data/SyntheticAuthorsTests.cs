using DslUnlearn.Text;

namespace DslUnlearn.Tests.Data;

public class SyntheticAuthorsTests
{
    private static DataSpec Spec(int authors = 10, int qa = 4, int forget = 2)
        => new() { Source = DataSource.Synthetic, Authors = authors, QaPerAuthor = qa, ForgetAuthors = forget };

    [Fact]
    public void Splits_are_whole_authors_and_forget_is_the_last_ones()
    {
        var d = SyntheticAuthors.Generate(Spec());
        Assert.Equal(8, d.Forget.Count);
        Assert.Equal(32, d.FinetuneRetain.Count());
        Assert.Equal(2, d.Forget.Select(e => e.Author).Distinct().Count());
        Assert.Empty(d.Forget.Select(e => e.Author).Intersect(d.FinetuneRetain.Select(e => e.Author)));
        Assert.Equal(Enumerable.Range(0, 8), d.Forget.Select(e => e.Index));
        var bigger = SyntheticAuthors.Generate(Spec(authors: 10, forget: 3));
        Assert.Equal(d.Forget.Select(e => e.Author).Distinct(), bigger.Forget.Skip(4).Select(e => e.Author).Distinct());
    }

    [Fact]
    public void Every_example_has_question_answer_and_a_different_paraphrase()
    {
        foreach (var e in SyntheticAuthors.Generate(Spec(qa: 10)).All)
        {
            Assert.Contains(e.Author, e.Question);
            Assert.Contains(e.Author, e.ParaphrasedQuestion);
            Assert.NotEqual(e.Question, e.ParaphrasedQuestion);
            Assert.False(string.IsNullOrWhiteSpace(e.Answer));
            Assert.All(e.Question + e.Answer + e.ParaphrasedQuestion, c => Assert.InRange(c, ' ', '~'));
        }
    }

    [Fact]
    public void Data_are_deterministic_and_facts_do_not_depend_on_qa_per_author()
    {
        var a = SyntheticAuthors.Generate(Spec(qa: 3));
        var b = SyntheticAuthors.Generate(Spec(qa: 3));
        var c = SyntheticAuthors.Generate(Spec(qa: 6));
        Assert.Equal(a.All, b.All);
        Assert.Equal(a.All.Select(e => e.Answer), c.All.Where((_, i) => i % 6 < 3).Select(e => e.Answer));
        Assert.Equal(12, a.All.Select(e => e.Author).Distinct().Count()); // 10 + 2 holdout authors (default: as many as forget)
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(5, 0, 1)]
    [InlineData(5, 11, 1)]
    [InlineData(5, 3, 5)]
    [InlineData(5, 3, 0)]
    public void Impossible_sizes_are_rejected(int authors, int qa, int forget)
        => Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticAuthors.Generate(Spec(authors, qa, forget)));
}

public class TokenizationTests
{
    [Fact]
    public void Char_tokenizer_round_trips_ascii_and_newlines()
    {
        var t = new CharTokenizer();
        const string text = "Question: Who wrote \"The Last River\"?\nAnswer: Zou Brastel.";
        Assert.Equal(text, t.Decode(t.Encode(text)));
        Assert.All(t.Encode(text), id => Assert.InRange(id, 4, t.VocabSize - 1));
        Assert.Equal(CharTokenizer.Unk, t.Encode("é")[0]);
    }

    [Fact]
    public void Batches_label_only_answer_tokens_and_eos_shifted_by_one()
    {
        var tok = new CharTokenizer();
        var encoder = new QaEncoder(tok, new PromptSpec { QuestionTag = "Q:", AnswerTag = " A:" });
        var short1 = encoder.Encode(new QaExample(0, "X", "hi", "yo", "hey"));
        var long1 = encoder.Encode(new QaExample(1, "X", "hello", "abc", "hey"));
        Assert.Equal(1 + "Q:hi A:".Length, short1.PromptLength);
        Assert.Equal(2, short1.AnswerLength);
        using var batch = TokenBatch.Collate([short1, long1], TorchSharp.torch.CPU);
        long width = batch.InputIds.shape[1];
        Assert.Equal(long1.Ids.Length - 1, width);
        var labels = batch.Labels.data<long>().ToArray();
        var row0 = labels.Take((int)width).Where(l => l != TokenBatch.IgnoreIndex).ToArray();
        Assert.Equal([.. tok.Encode("yo").Select(i => (long)i), CharTokenizer.Eos], row0);
        // Position PromptLength-1 (the last prompt token) predicts the first answer token.
        Assert.Equal(tok.Encode("y")[0], labels[short1.PromptLength - 1]);
        Assert.Equal(TokenBatch.IgnoreIndex, labels[short1.PromptLength - 2]);
        Assert.Equal([2, 3], batch.AnswerLengths);
    }
}

public class SyntheticAuthorsPerturbationTests
{
    private static DataSpec Spec(int authors = 12, int qa = 10, int forget = 2)
        => new() { Source = DataSource.Synthetic, Authors = authors, QaPerAuthor = qa, ForgetAuthors = forget };

    [Fact]
    public void Every_example_has_a_paraphrased_answer_and_distinct_wrong_answers_of_the_same_template()
    {
        foreach (var e in SyntheticAuthors.Generate(Spec()).All)
        {
            Assert.NotNull(e.ParaphrasedAnswer);
            Assert.NotEqual(e.Answer, e.ParaphrasedAnswer);
            Assert.Contains(e.Author, e.ParaphrasedAnswer);
            Assert.Equal(SyntheticAuthors.PerturbedPerExample, e.PerturbedAnswers.Count);
            Assert.Equal(e.PerturbedAnswers.Count, e.PerturbedAnswers.Distinct().Count());
            Assert.DoesNotContain(e.ParaphrasedAnswer, e.PerturbedAnswers);
            // Same template: the wrong answers share the paraphrase's words up to the fact.
            string para = e.ParaphrasedAnswer!;
            Assert.All(e.PerturbedAnswers, p =>
            {
                Assert.Contains(e.Author, p);
                int common = 0;
                while (common < Math.Min(p.Length, para.Length) && p[common] == para[common]) common++;
                Assert.True(common >= 8 || p.EndsWith(para[^8..]) || p.Split(' ').Intersect(para.Split(' ')).Count() >= 3, $"'{p}' vs '{para}'");
            });
            Assert.All(para + string.Concat(e.PerturbedAnswers), c => Assert.InRange(c, ' ', '~'));
        }
    }

    [Fact]
    public void Questions_answers_and_paraphrased_questions_are_pinned()
    {
        // Pins the built-in data (the quickstart numbers depend on it): a SHA-256 over every field of 40 authors.
        var d = SyntheticAuthors.Generate(new DataSpec { Source = DataSource.Synthetic, Authors = 40, QaPerAuthor = 5, ForgetAuthors = 4 });
        Assert.Equal("What genre does Time Droumakrir write?", d.Forget[1].Question);
        // Forget then every retain row (retain-eval authors first): the rows fine-tuning sees, unchanged by the split.
        string text = string.Join("\n", d.Forget.Concat(d.FinetuneRetain).Select(e => $"{e.Author}|{e.Question}|{e.Answer}|{e.ParaphrasedQuestion}"));
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Equal(OriginalHash, hash);
        var again = SyntheticAuthors.Generate(new DataSpec { Source = DataSource.Synthetic, Authors = 40, QaPerAuthor = 5, ForgetAuthors = 4 });
        Assert.Equal(d.All, again.All);                                // perturbed answers are deterministic too
    }

    /// <summary>Computed with the data generator as it was before paraphrased and perturbed answers were added.</summary>
    private const string OriginalHash = "94F324E46B23725F9CE99F8B0959D495557AC396C3BEFA676919CD0A9D680E02";
}
