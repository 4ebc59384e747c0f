using System.Text;
using DslUnlearn.Text;

namespace DslUnlearn.Tests.Text;

/// <summary>Every tokenizer file kind, built here as small files (nothing is downloaded).</summary>
public sealed class TokenizerTests : FolderTests
{
    // ---- GPT-2 byte-level BPE: 256 byte symbols (id = byte value) + 5 merges + <|endoftext|> ----

    /// <summary>GPT-2's printable stand-ins for bytes: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.</summary>
    internal static Dictionary<int, char> ByteSymbols()
    {
        var map = new Dictionary<int, char>();
        int next = 256;
        for (int b = 0; b < 256; b++)
            map[b] = (b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255) ? (char)b : (char)next++;
        return map;
    }

    internal static readonly string[] Merges = ["h e", "l l", "he ll", "hell o", "\u0120 hello"];

    internal static Dictionary<string, int> ByteLevelVocab()
    {
        var vocab = ByteSymbols().ToDictionary(kv => kv.Value.ToString(), kv => kv.Key);
        vocab["he"] = 256; vocab["ll"] = 257; vocab["hell"] = 258; vocab["hello"] = 259; vocab["\u0120hello"] = 260;
        vocab["<|endoftext|>"] = 261;
        return vocab;
    }

    [Fact]
    public void Byte_symbol_table_matches_gpt2_for_space_and_newline()
    {
        Assert.Equal('\u0120', ByteSymbols()[' ']);   // "Ġ"
        Assert.Equal('\u010A', ByteSymbols()['\n']);  // "Ċ"
    }

    [Fact]
    public void Vocab_json_and_merges_txt_encode_by_hand_computed_merges()
    {
        string folder = Folder("vm");
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(ByteLevelVocab()));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n" + string.Join("\n", Merges) + "\n");
        var tok = TokenizerFactory.FromFolder(folder);
        // "hello" -> h e l l o -> ll, he, hell, hello = 259; " hello" -> Ġhello = 260; "hex" -> he + 'x'(120).
        Assert.Equal([259, 260], tok.Encode("hello hello"));
        Assert.Equal([256, 120], tok.Encode("hex"));
        Assert.Equal("hello hello", tok.Decode(tok.Encode("hello hello")));
        Assert.Equal(261, tok.EosId);
        Assert.Equal(262, tok.VocabSize);
        Assert.Null(tok.BosId);
        Assert.Equal("vocab.json+merges.txt", ((HfTokenizer)tok).Kind);
        Assert.Equal("hello", tok.Decode([259, 261]));   // EOS is dropped on decode
    }

    [Fact]
    public void Tokenizer_json_byte_level_bpe_gives_the_same_ids()
    {
        string folder = Folder("tj");
        var json = new
        {
            version = "1.0",
            added_tokens = new[] { new { id = 261, content = "<|endoftext|>", special = true } },
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab = ByteLevelVocab(), merges = Merges },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(json));
        var tok = TokenizerFactory.FromFolder(folder);
        Assert.Equal("tokenizer.json", ((HfTokenizer)tok).Kind);
        Assert.Equal([259, 260], tok.Encode("hello hello"));
        Assert.Equal([256, 120], tok.Encode("hex"));
        Assert.Equal("hello hex", tok.Decode(tok.Encode("hello hex")));
        Assert.Equal(261, tok.EosId);
    }

    [Fact]
    public void Tokenizer_config_sets_special_tokens()
    {
        string folder = Folder("special");
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(ByteLevelVocab()));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n" + string.Join("\n", Merges) + "\n");
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"add_bos_token": true, "bos_token": {"content": "hello"}, "eos_token": "<|endoftext|>", "pad_token": "x"}""");
        var tok = TokenizerFactory.FromFolder(folder);
        Assert.Equal(259, tok.BosId);
        Assert.Equal(261, tok.EosId);
        Assert.Equal(120, tok.PadId);
    }

    // ---- SentencePiece BPE (tokenizer.model), written as protobuf by hand ----

    private static byte[] SentencePieceModel()
    {
        // ModelProto { repeated SentencePiece pieces = 1; TrainerSpec trainer_spec = 2; NormalizerSpec normalizer_spec = 3; }
        // SentencePiece { string piece = 1; float score = 2; Type type = 3 (NORMAL 1, UNKNOWN 2, CONTROL 3) }
        (string Piece, float Score, int Type)[] pieces =
        [
            ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3),
            ("\u2581", -100, 1), ("h", -100, 1), ("e", -100, 1), ("l", -100, 1), ("o", -100, 1),
            ("ll", -1, 1), ("he", -2, 1), ("\u2581he", -3, 1), ("\u2581hell", -4, 1), ("\u2581hello", -5, 1),
        ];
        var model = new List<byte>();
        foreach (var (piece, score, type) in pieces)
        {
            var p = new List<byte>();
            Proto.Bytes(p, 1, Encoding.UTF8.GetBytes(piece));
            Proto.Fixed32(p, 2, BitConverter.GetBytes(score));
            Proto.Varint(p, 3, (ulong)type);
            Proto.Bytes(model, 1, p.ToArray());
        }
        var trainer = new List<byte>();
        Proto.Varint(trainer, 3, 2);   // model_type = BPE; unk/bos/eos ids keep their defaults 0/1/2
        Proto.Bytes(model, 2, trainer.ToArray());
        var normalizer = new List<byte>();
        Proto.Bytes(normalizer, 1, Encoding.UTF8.GetBytes("identity"));
        Proto.Varint(normalizer, 3, 1);   // add_dummy_prefix
        Proto.Varint(normalizer, 4, 1);   // remove_extra_whitespaces
        Proto.Varint(normalizer, 5, 1);   // escape_whitespaces
        Proto.Bytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static class Proto
    {
        private static void Raw(List<byte> o, ulong v) { while (v >= 0x80) { o.Add((byte)(v | 0x80)); v >>= 7; } o.Add((byte)v); }
        public static void Varint(List<byte> o, int field, ulong v) { Raw(o, (ulong)(field << 3)); Raw(o, v); }
        public static void Fixed32(List<byte> o, int field, byte[] v) { Raw(o, (ulong)(field << 3 | 5)); o.AddRange(v); }
        public static void Bytes(List<byte> o, int field, byte[] v) { Raw(o, (ulong)(field << 3 | 2)); Raw(o, (ulong)v.Length); o.AddRange(v); }
    }

    [Fact]
    public void Sentencepiece_tokenizer_model_merges_by_score()
    {
        string folder = Folder("spm");
        File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), SentencePieceModel());
        var tok = TokenizerFactory.FromFolder(folder);
        // "hello" -> "▁hello": merge ll (-1), he (-2), ▁he (-3), ▁hell (-4), ▁hello (-5) -> id 12.
        Assert.Equal([12, 12], tok.Encode("hello hello"));
        // "hole" -> ▁ h o l e: no piece joins any neighbours.
        Assert.Equal([3, 4, 7, 6, 5], tok.Encode("hole"));
        Assert.Equal("hello hole", tok.Decode(tok.Encode("hello hole")));
        Assert.Equal(1, tok.BosId);   // Llama prepends BOS
        Assert.Equal(2, tok.EosId);
        Assert.Equal(13, tok.VocabSize);
        Assert.Equal("tokenizer.model", ((HfTokenizer)tok).Kind);
    }

    [Fact]
    public void Tokenizer_json_metaspace_bpe_is_read()
    {
        string folder = Folder("meta");
        var vocab = new Dictionary<string, int>
        {
            ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2, ["\u2581"] = 3, ["h"] = 4, ["e"] = 5, ["l"] = 6, ["o"] = 7,
            ["ll"] = 8, ["he"] = 9, ["\u2581he"] = 10, ["\u2581hell"] = 11, ["\u2581hello"] = 12,
        };
        var json = new
        {
            added_tokens = new[] { new { id = 0, content = "<unk>" }, new { id = 1, content = "<s>" }, new { id = 2, content = "</s>" } },
            pre_tokenizer = new { type = "Metaspace", replacement = "\u2581", add_prefix_space = true },
            decoder = new { type = "Metaspace" },
            model = new { type = "BPE", unk_token = "<unk>", vocab, merges = new[] { "l l", "h e", "\u2581 he", "\u2581he ll", "\u2581hell o" } },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(json));
        var tok = TokenizerFactory.FromFolder(folder);
        Assert.Equal([12, 12], tok.Encode("hello hello"));
        Assert.Equal("hello hello", tok.Decode(tok.Encode("hello hello")));
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
    }

    // ---- tiktoken ----

    [Fact]
    public void Gpt2_tiktoken_gives_the_published_ids()
    {
        var tok = TokenizerFactory.FromTiktokenModel("gpt2");
        Assert.Equal([15496, 995], tok.Encode("Hello world"));   // GPT-2's well-known ids
        Assert.Equal("Hello world", tok.Decode([15496, 995]));
        Assert.Equal(50256, tok.EosId);
        Assert.Equal(50257, tok.VocabSize);
        Assert.Null(tok.BosId);
    }

    [Fact]
    public void A_folder_without_tokenizer_files_names_what_it_expects()
    {
        string folder = Folder("empty");
        var e = Assert.Throws<TokenizerLoadException>(() => TokenizerFactory.FromFolder(folder));
        Assert.Contains("expected tokenizer.json, tokenizer.model, vocab.json + merges.txt, or an <encoding>.tiktoken file", e.Message);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), """{"model": {"type": "WordPiece", "vocab": {}}}""");
        var wp = Assert.Throws<TokenizerLoadException>(() => TokenizerFactory.FromFolder(folder));
        Assert.Contains("model type \"WordPiece\" is not supported", wp.Message);
    }

    // ---- prompt formats ----

    [Fact]
    public void Prompt_formats_follow_the_paper()
    {
        Assert.Equal("Question: Who wrote it?\nAnswer: ", PromptFormat.Phi.Prompt("Who wrote it?"));
        Assert.Equal("[INST] Who wrote it? [/INST]", PromptFormat.Llama2Chat.Prompt("Who wrote it?"));
        Assert.Equal(PromptFormat.Llama2Chat, PromptFormat.ForFamily("llama"));
        Assert.Equal(PromptFormat.Phi, PromptFormat.ForFamily("phi"));
        Assert.Equal(PromptFormat.Plain, PromptFormat.FromName("plain"));
        var spec = PromptFormat.Phi.ToPromptSpec();
        Assert.Equal(("Question: ", "\nAnswer: "), (spec.QuestionTag, spec.AnswerTag));
        Assert.Throws<ArgumentException>(() => PromptFormat.FromName("chatml"));
    }
}

/// <summary>QaEncoder tokenizes prompt + answer as one text, as TOFU does, and finds the answer after the prompt's tokens.</summary>
public class QaEncoderJoinedTests
{
    [Fact]
    public void Bpe_answers_are_tokenized_in_context_not_separately()
    {
        var tok = TokenizerFactory.FromTiktokenModel("gpt2");
        var encoder = new DslUnlearn.Data.QaEncoder(tok, new DslUnlearn.Specs.Vocabulary.PromptSpec { QuestionTag = "Question: ", AnswerTag = "\nAnswer:" });
        var row = encoder.Encode(new DslUnlearn.Data.QaExample(0, "a", "Where?", " Paris", "Where?"));
        var joined = tok.Encode("Question: Where?\nAnswer: Paris");
        Assert.Equal([.. joined, tok.EosId], row.Ids);
        Assert.Equal(tok.Encode(" Paris"), row.Ids[row.PromptLength..^1]);

        // A tag ending in a space: separately "Answer", ":", " " + "Paris"; joined the space belongs to " Paris".
        var spaced = new DslUnlearn.Data.QaEncoder(tok, new DslUnlearn.Specs.Vocabulary.PromptSpec { QuestionTag = "Q: ", AnswerTag = "\nAnswer: " });
        var r2 = spaced.Encode(new DslUnlearn.Data.QaExample(0, "a", "Where?", "Paris", "Where?"));
        Assert.NotEqual([.. tok.Encode("Q: Where?\nAnswer: "), .. tok.Encode("Paris")], r2.Ids[..^1]);
        Assert.Equal([.. tok.Encode("Q: Where?\nAnswer: Paris"), tok.EosId], r2.Ids);
        Assert.Equal(tok.Encode(" Paris"), r2.Ids[r2.PromptLength..^1]);
        Assert.Equal(1, r2.AnswerLength);
    }

    [Fact]
    public void Char_tokenizer_encoding_is_unchanged_by_joining()
    {
        var tok = new CharTokenizer();
        var encoder = new DslUnlearn.Data.QaEncoder(tok, new DslUnlearn.Specs.Vocabulary.PromptSpec { QuestionTag = "Q: ", AnswerTag = " A: " });
        var row = encoder.Encode(new DslUnlearn.Data.QaExample(0, "a", "Who?", "Bo Li.", "Who?"));
        Assert.Equal([tok.BosId!.Value, .. tok.Encode("Q: Who? A: "), .. tok.Encode("Bo Li."), tok.EosId], row.Ids);
        Assert.Equal(6, row.AnswerLength);
    }
}
