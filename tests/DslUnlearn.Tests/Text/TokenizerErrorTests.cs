using DslUnlearn.Text;

namespace DslUnlearn.Tests.Text;

/// <summary>What a tokenizer folder does not say is an error, not a guess: EOS, and how spaces are written.</summary>
public sealed class TokenizerErrorTests : FolderTests
{
    private static Dictionary<string, int> VocabWithoutEos()
    {
        var vocab = TokenizerTests.ByteLevelVocab();
        vocab.Remove("<|endoftext|>");
        return vocab;
    }

    private string VocabAndMerges(string name, Dictionary<string, int> vocab)
    {
        string folder = Folder(name);
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n" + string.Join("\n", TokenizerTests.Merges) + "\n");
        return folder;
    }

    [Fact]
    public void Vocab_and_merges_without_an_eos_token_is_an_error_naming_both_files()
    {
        // Microsoft.ML.Tokenizers' CodeGen tokenizer needs <|endoftext|> (its unknown token), so the error comes before ours.
        string folder = VocabAndMerges("noeos", VocabWithoutEos());
        var e = Assert.Throws<TokenizerLoadException>(() => TokenizerFactory.FromFolder(folder));
        Assert.StartsWith(Path.Combine(folder, "vocab.json") + " + " + Path.Combine(folder, "merges.txt") + ": cannot build a byte-level BPE tokenizer", e.Message);
    }

    [Fact]
    public void A_named_eos_token_missing_from_the_vocabulary_is_an_error_not_a_fallback()
    {
        string folder = VocabAndMerges("badname", TokenizerTests.ByteLevelVocab());
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), """{"eos_token": {"content": "</s>"}}""");
        var e = Assert.Throws<TokenizerLoadException>(() => TokenizerFactory.FromFolder(folder));
        Assert.StartsWith(Path.Combine(folder, "special_tokens_map.json") + ": eos_token '</s>' is not in the vocabulary of " + Path.Combine(folder, "vocab.json"), e.Message);
    }

    [Fact]
    public void Tokenizer_json_without_an_eos_token_is_an_error()
    {
        string folder = Folder("tjnoeos");
        var json = new
        {
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false },
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab = VocabWithoutEos(), merges = TokenizerTests.Merges },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(json));
        var e = Assert.Throws<TokenizerLoadException>(() => TokenizerFactory.FromFolder(folder));
        Assert.StartsWith(Path.Combine(folder, "tokenizer.json") + ": no end-of-sequence token", e.Message);
        Assert.Contains("none of <|endoftext|>, </s>, <eos>", e.Message);
        Assert.Contains($"Add {{\"eos_token\": \"<the end-of-sequence token>\"}} to {Path.Combine(folder, "tokenizer_config.json")}", e.Message);

        // The fix works: the config names a token of the vocabulary (before, EOS silently became vocabSize - 1 = 260, "\u0120hello").
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"eos_token": "hello"}""");
        Assert.Equal(259, TokenizerFactory.FromFolder(folder).EosId);
    }

    private static readonly Dictionary<string, int> SpVocab = new()
    {
        ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2, ["\u2581"] = 3, ["h"] = 4, ["e"] = 5, ["l"] = 6, ["o"] = 7,
        ["ll"] = 8, ["he"] = 9, ["\u2581he"] = 10, ["\u2581hell"] = 11, ["\u2581hello"] = 12,
    };

    private static readonly string[] SpMerges = ["l l", "h e", "\u2581 he", "\u2581he ll", "\u2581hell o"];

    private ITokenizer TokenizerJson(string name, object? normalizer, object? preTokenizer, object? decoder)
    {
        string folder = Folder(name);
        var json = new
        {
            added_tokens = new[] { new { id = 0, content = "<unk>" }, new { id = 1, content = "<s>" }, new { id = 2, content = "</s>" } },
            normalizer, pre_tokenizer = preTokenizer, decoder,
            model = new { type = "BPE", unk_token = "<unk>", vocab = SpVocab, merges = SpMerges },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(json));
        return TokenizerFactory.FromFolder(folder);
    }

    [Fact]
    public void Llama_style_normalizer_and_decoder_mean_sentencepiece_spaces()
    {
        // Llama 2's tokenizer.json: no pre-tokenizer; the normalizer writes spaces as U+2581, the decoder reads them back.
        var tok = TokenizerJson("llama",
            new { type = "Sequence", normalizers = new object[] { new { type = "Prepend", prepend = "\u2581" }, new { type = "Replace", pattern = new { String = " " }, content = "\u2581" } } },
            null,
            new { type = "Sequence", decoders = new object[] { new { type = "Replace", pattern = new { String = "\u2581" }, content = " " }, new { type = "Fuse" } } });
        Assert.Equal([12, 12], tok.Encode("hello hello"));
        Assert.Equal("hello hello", tok.Decode(tok.Encode("hello hello")));
        Assert.Equal(2, tok.EosId);
    }

    [Fact]
    public void A_u2581_in_the_vocabulary_alone_does_not_switch_to_sentencepiece_spaces()
    {
        // Whitespace pre-tokenizer, no normalizer: Hugging Face splits on spaces and never writes U+2581, so neither do we
        // (before, any U+2581 anywhere in the file switched to Metaspace): "hello" -> he + ll + o.
        var tok = TokenizerJson("plain", null, new { type = "Whitespace" }, null);
        Assert.Equal([9, 8, 7, 9, 8, 7], tok.Encode("hello hello"));
    }
}
