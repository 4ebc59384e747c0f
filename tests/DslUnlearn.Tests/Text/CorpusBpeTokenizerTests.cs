using DslUnlearn.Attacks;
using DslUnlearn.Data.Testbed;
using DslUnlearn.Tests.Data.Testbed;
using DslUnlearn.Text;
using Microsoft.ML.Tokenizers;

namespace DslUnlearn.Tests.Text;

public class CorpusBpeTokenizerTests
{
    private static readonly PromptSpec Prompt = new() { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " };

    [Fact]
    public void Keeps_only_the_corpus_ids_and_round_trips_corpus_text()
    {
        var tok = CorpusBpeTokenizer.Build(["Hello world. Hello again!"]);
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        // GPT-2's own ids for the text, mapped one to one (the restriction never re-splits corpus text).
        Assert.Equal(gpt2.EncodeToIds("Hello world.").Count, tok.Encode("Hello world.").Length);
        Assert.Equal("Hello world. Hello again!", tok.Decode(tok.Encode("Hello world. Hello again!")));
        Assert.All(tok.Encode("Hello world."), id => Assert.InRange(id, 4, tok.VocabSize - 1));
        Assert.True(tok.VocabSize < 4 + 95 + 1 + 10, $"vocab {tok.VocabSize}");
        Assert.Equal(tok.Gpt2Ids.Order(), tok.Gpt2Ids);
    }

    [Fact]
    public void Text_outside_the_corpus_falls_back_to_characters_and_non_ascii_to_unknown()
    {
        var tok = CorpusBpeTokenizer.Build(["Hello world."]);
        var ids = tok.Encode("Zebra crossing");
        Assert.Equal("Zebra crossing", tok.Decode(ids));
        Assert.Equal("Zebra crossing".Length, ids.Length); // one id per character
        var unk = tok.Encode("caf\u00e9");
        Assert.Equal(CorpusBpeTokenizer.Unk, unk[^1]);
        Assert.Equal("caf\uFFFD", tok.Decode(unk));
        Assert.Equal("Hello", tok.Decode([CorpusBpeTokenizer.Bos, .. tok.Encode("Hello"), CorpusBpeTokenizer.Eos, CorpusBpeTokenizer.Pad]));
    }

    [Fact]
    public void The_testbed_tokenizer_encodes_every_world_text_and_attack_template_without_fallback_and_is_deterministic()
    {
        var spec = BiographyWorldTests.Spec(attributes: 16);
        var a = TestbedInputs.Create(20, 2, spec, Prompt);
        var b = TestbedInputs.Create(20, 2, spec, Prompt);
        var tok = Assert.IsType<CorpusBpeTokenizer>(a.Tokenizer);
        Assert.Equal(tok.Gpt2Ids, ((CorpusBpeTokenizer)b.Tokenizer).Gpt2Ids);
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        var texts = a.Corpus.Concat(JailbreakTemplates.Builtin.Values).Concat(a.Data.All.Select(e => e.ParaphrasedQuestion)).Concat(a.Data.Holdout.Select(e => e.Question));
        foreach (var t in texts)
        {
            Assert.Equal(gpt2.EncodeToIds(t).Count, tok.Encode(t).Length);
            Assert.Equal(t, tok.Decode(tok.Encode(t)));
        }
        Assert.InRange(tok.VocabSize, 200, 2000);
        // Far shorter than characters: the reason for the option.
        double chars = a.Corpus.Average(d => d.Length), bpe = a.Corpus.Average(d => tok.Encode(d).Length);
        Assert.True(bpe < chars / 2.5, $"bpe {bpe:F1} vs chars {chars:F1}");
        Assert.IsType<CharTokenizer>(TestbedInputs.Create(20, 2, spec with { Tokenizer = "char" }, Prompt).Tokenizer);
    }
}
