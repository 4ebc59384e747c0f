using DslUnlearn.Data;
using DslUnlearn.Specs;
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
        Assert.Equal(32, d.Retain.Count);
        Assert.Equal(2, d.Forget.Select(e => e.Author).Distinct().Count());
        Assert.Empty(d.Forget.Select(e => e.Author).Intersect(d.Retain.Select(e => e.Author)));
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
        Assert.Equal(10, a.All.Select(e => e.Author).Distinct().Count());
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
