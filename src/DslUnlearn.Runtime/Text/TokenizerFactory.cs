using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace DslUnlearn.Text;

/// <summary>A tokenizer folder that cannot be used; the message names the file and what to do.</summary>
public sealed class TokenizerLoadException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Loads the tokenizer of a Hugging Face checkpoint folder with Microsoft.ML.Tokenizers. Files are tried in
/// this order: tokenizer.json with a byte-level BPE model; tokenizer.model (SentencePiece BPE, Llama);
/// tokenizer.json with another BPE model; vocab.json + merges.txt (GPT-2 byte-level BPE); *.tiktoken.
/// Special tokens (bos/eos/pad, add_bos_token) come from tokenizer_config.json and special_tokens_map.json
/// when present, else from the tokenizer file's conventions.
/// </summary>
public static class TokenizerFactory
{
    /// <summary>GPT-2's pre-tokenization pattern (contractions, letters, digits, other, spaces).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Tiktoken encodings that a "&lt;encoding&gt;.tiktoken" file may hold, with a model name Microsoft.ML.Tokenizers maps to it.</summary>
    private static readonly Dictionary<string, string> TiktokenModels = new()
    {
        ["gpt2"] = "gpt2", ["r50k_base"] = "davinci", ["p50k_base"] = "text-davinci-003",
        ["cl100k_base"] = "gpt-4", ["o200k_base"] = "gpt-4o",
    };

    public static ITokenizer FromFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"tokenizer folder '{folder}' does not exist.");
        var special = SpecialTokens.Read(folder);
        string json = Path.Combine(folder, "tokenizer.json"), spm = Path.Combine(folder, "tokenizer.model");
        string vocab = Path.Combine(folder, "vocab.json"), merges = Path.Combine(folder, "merges.txt");
        TokenizerJson? parsed = File.Exists(json) ? TokenizerJson.Parse(json) : null;
        if (parsed is { ByteLevel: true }) return parsed.Build(special);
        if (File.Exists(spm)) return FromSentencePiece(spm, special);
        if (parsed is not null) return parsed.Build(special);
        if (File.Exists(vocab) && File.Exists(merges)) return FromVocabAndMerges(vocab, merges, special);
        var tiktoken = Directory.EnumerateFiles(folder, "*.tiktoken").FirstOrDefault();
        if (tiktoken is not null) return FromTiktokenFile(tiktoken, special);
        throw new TokenizerLoadException(
            $"'{folder}' has no tokenizer: expected tokenizer.json, tokenizer.model, vocab.json + merges.txt, or an <encoding>.tiktoken file.");
    }

    /// <summary>SentencePiece BPE (Llama's tokenizer.model). BOS is added by the runtime unless add_bos_token is false.</summary>
    public static ITokenizer FromSentencePiece(string path, SpecialTokens? special = null)
    {
        special ??= SpecialTokens.None;
        SentencePieceTokenizer sp;
        try
        {
            using var stream = File.OpenRead(path);
            sp = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new TokenizerLoadException($"{path}: not a SentencePiece BPE model ({e.Message}). Llama's tokenizer.model is expected here.", e);
        }
        int vocabSize = sp.Vocabulary.Count;
        int bos = special.Id("bos", sp.Vocabulary) ?? sp.BeginningOfSentenceId;
        // SentencePiece models carry their own EOS id; a token the config names must still exist.
        int eos = special.Tokens.ContainsKey("eos") ? special.Eos(sp.Vocabulary, path) : sp.EndOfSentenceId;
        int pad = special.Id("pad", sp.Vocabulary) ?? eos;
        bool addBos = special.AddBos ?? true;
        return new HfTokenizer(sp, "tokenizer.model", vocabSize, addBos ? bos : null, eos, pad,
            text => sp.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false));
    }

    /// <summary>GPT-2 style byte-level BPE from vocab.json + merges.txt (also Phi-1.5's CodeGen files).</summary>
    public static ITokenizer FromVocabAndMerges(string vocabPath, string mergesPath, SpecialTokens? special = null)
    {
        special ??= SpecialTokens.None;
        CodeGenTokenizer tok;
        try
        {
            using var v = File.OpenRead(vocabPath);
            using var m = File.OpenRead(mergesPath);
            tok = CodeGenTokenizer.Create(v, m, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new TokenizerLoadException($"{vocabPath} + {mergesPath}: cannot build a byte-level BPE tokenizer ({e.Message}).", e);
        }
        var ids = tok.Vocabulary;
        int vocabSize = ids.Count == 0 ? 0 : ids.Values.Max() + 1;
        int eos = special.Eos(ids, vocabPath, "<|endoftext|>");
        int? bos = special.AddBos == true ? special.Id("bos", ids) ?? eos : null;
        int pad = special.Id("pad", ids) ?? eos;
        return new HfTokenizer(tok, "vocab.json+merges.txt", vocabSize, bos, eos, pad,
            text => tok.EncodeToIds(text, addPrefixSpace: false, addBeginningOfSentence: false, addEndOfSentence: false));
    }

    /// <summary>A tiktoken file "&lt;encoding&gt;.tiktoken" (gpt2, r50k_base, p50k_base, cl100k_base, o200k_base).</summary>
    public static ITokenizer FromTiktokenFile(string path, SpecialTokens? special = null)
    {
        string encoding = Path.GetFileNameWithoutExtension(path);
        if (!TiktokenModels.TryGetValue(encoding, out string? model))
            throw new TokenizerLoadException($"{path}: unknown tiktoken encoding '{encoding}'; name the file after one of {string.Join(", ", TiktokenModels.Keys)}.");
        using var stream = File.OpenRead(path);
        return Tiktoken(TiktokenTokenizer.CreateForModel(model, stream), special ?? SpecialTokens.None);
    }

    /// <summary>
    /// A tiktoken tokenizer by model name ("gpt2", "gpt-4", ...); its data must come from the matching
    /// Microsoft.ML.Tokenizers.Data.* package referenced by the application.
    /// </summary>
    public static ITokenizer FromTiktokenModel(string model) => Tiktoken(TiktokenTokenizer.CreateForModel(model), SpecialTokens.None);

    private static HfTokenizer Tiktoken(TiktokenTokenizer tok, SpecialTokens special)
    {
        var specials = tok.SpecialTokens ?? new Dictionary<string, int>();
        // The rank table is internal to Microsoft.ML.Tokenizers; every known encoding puts its special tokens
        // after the last rank (gpt2: <|endoftext|> = 50256), so the vocabulary ends with them.
        if (specials.Count == 0) throw new TokenizerLoadException("a tiktoken encoding without special tokens is not supported (its vocabulary size is unknown).");
        int vocabSize = specials.Values.Max() + 1;
        int eos = special.Eos(specials, "the tiktoken encoding's special tokens", "<|endoftext|>");
        return new HfTokenizer(tok, "tiktoken", vocabSize, null, eos, special.Id("pad", specials) ?? eos);
    }
}

/// <summary>Special-token settings from tokenizer_config.json and special_tokens_map.json.</summary>
public sealed record SpecialTokens(IReadOnlyDictionary<string, string> Tokens, bool? AddBos)
{
    public static readonly SpecialTokens None = new(new Dictionary<string, string>(), null);

    /// <summary>The folder the settings were read from (null when none was), for messages.</summary>
    public string? Folder { get; init; }

    /// <summary>The file that named each role's token ("eos" -> ".../tokenizer_config.json").</summary>
    public IReadOnlyDictionary<string, string> NamedIn { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The end-of-sequence id: the token tokenizer_config.json / special_tokens_map.json name as eos_token, else the
    /// first of <paramref name="conventional"/> in the vocabulary. Generation stops at it and training labels end
    /// with it, so there is no guess: a named token missing from the vocabulary, or no EOS at all, is an error that
    /// names the file and the fix.
    /// </summary>
    /// <param name="source">The tokenizer file (or a description of the vocabulary) for messages.</param>
    public int Eos(IReadOnlyDictionary<string, int> vocab, string source, params string[] conventional)
    {
        if (Tokens.TryGetValue("eos", out var named))
        {
            if (vocab.TryGetValue(named, out int id)) return id;
            throw new TokenizerLoadException(
                $"{NamedIn.GetValueOrDefault("eos", "tokenizer_config.json")}: eos_token '{named}' is not in the vocabulary of {source}; " +
                "set eos_token to the tokenizer's end-of-sequence token (or add that token to the tokenizer file).");
        }
        foreach (var name in conventional)
            if (vocab.TryGetValue(name, out int id)) return id;
        string config = Folder is null ? "tokenizer_config.json beside it" : System.IO.Path.Combine(Folder, "tokenizer_config.json");
        throw new TokenizerLoadException(
            $"{source}: no end-of-sequence token: no eos_token is named in tokenizer_config.json or special_tokens_map.json, and the vocabulary has none of " +
            $"{string.Join(", ", conventional)}. Add {{\"eos_token\": \"<the end-of-sequence token>\"}} to {config}.");
    }

    /// <summary>Id of the "bos"/"eos"/"pad"/"unk" token in <paramref name="vocab"/>, or null when unnamed or absent.</summary>
    public int? Id(string role, IReadOnlyDictionary<string, int> vocab) =>
        Tokens.TryGetValue(role, out var text) && vocab.TryGetValue(text, out int id) ? id : null;

    public static SpecialTokens Read(string folder)
    {
        var tokens = new Dictionary<string, string>();
        var namedIn = new Dictionary<string, string>();
        bool? addBos = null;
        foreach (var file in new[] { "special_tokens_map.json", "tokenizer_config.json" })
        {
            string path = Path.Combine(folder, file);
            if (!File.Exists(path)) continue;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                foreach (var role in new[] { "bos", "eos", "pad", "unk" })
                    if (doc.RootElement.TryGetProperty(role + "_token", out var t))
                    {
                        string? text = t.ValueKind == JsonValueKind.String ? t.GetString()
                            : t.ValueKind == JsonValueKind.Object && t.TryGetProperty("content", out var c) ? c.GetString() : null;
                        if (text is not null) { tokens[role] = text; namedIn[role] = path; }
                    }
                if (doc.RootElement.TryGetProperty("add_bos_token", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    addBos = a.GetBoolean();
            }
            catch (JsonException e)
            {
                throw new TokenizerLoadException($"{path}: invalid JSON ({e.Message}).", e);
            }
        }
        return new SpecialTokens(tokens, addBos) { Folder = folder, NamedIn = namedIn };
    }
}

/// <summary>The parts of a Hugging Face tokenizer.json that a BPE tokenizer needs.</summary>
internal sealed record TokenizerJson(string Path, Dictionary<string, int> Vocab, List<string> Merges, bool ByteLevel,
    bool Metaspace, string? UnknownToken, Dictionary<string, int> AddedTokens)
{
    public static TokenizerJson Parse(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new TokenizerLoadException($"{path}: no \"model\" section.");
            string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "BPE";
            if (type != "BPE")
                throw new TokenizerLoadException($"{path}: model type \"{type}\" is not supported; only BPE tokenizer.json files are (or provide tokenizer.model / vocab.json + merges.txt).");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var p in model.GetProperty("vocab").EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
            var merges = new List<string>();
            if (model.TryGetProperty("merges", out var m))
                foreach (var item in m.EnumerateArray())
                    merges.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : $"{item[0].GetString()} {item[1].GetString()}");
            var added = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.TryGetProperty("added_tokens", out var at) && at.ValueKind == JsonValueKind.Array)
                foreach (var a in at.EnumerateArray()) added[a.GetProperty("content").GetString()!] = a.GetProperty("id").GetInt32();
            bool byteLevel = Steps(root, "pre_tokenizer").Any(s => IsType(s, "ByteLevel")) || Steps(root, "decoder").Any(s => IsType(s, "ByteLevel"));
            bool metaspace = SentencePieceSpaces(root);
            string? unk = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            return new TokenizerJson(path, vocab, merges, byteLevel, metaspace && !byteLevel, unk, added);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new TokenizerLoadException($"{path}: cannot read the BPE model ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Whether spaces are SentencePiece's U+2581, as the file's own pipeline says: a Metaspace pre-tokenizer or
    /// decoder (Hugging Face's Metaspace), or the Llama-style normalizer (Prepend "\u2581", Replace " " by
    /// "\u2581") with its decoder (Replace "\u2581" by " "). A U+2581 in the vocabulary alone says nothing.
    /// </summary>
    private static bool SentencePieceSpaces(JsonElement root)
    {
        const string Space = "\u2581";
        if (Steps(root, "pre_tokenizer").Any(s => IsType(s, "Metaspace")) || Steps(root, "decoder").Any(s => IsType(s, "Metaspace"))) return true;
        bool normalizes = Steps(root, "normalizer").Any(s =>
            IsType(s, "Prepend") && Str(s, "prepend") == Space || IsType(s, "Replace") && ReplacePattern(s) == " " && Str(s, "content") == Space);
        bool decodes = Steps(root, "decoder").Any(s => IsType(s, "Replace") && ReplacePattern(s) == Space && Str(s, "content") == " ");
        return normalizes || decodes;
    }

    /// <summary>The section object and, for a Sequence, each of its steps (pretokenizers, decoders, normalizers).</summary>
    private static IEnumerable<JsonElement> Steps(JsonElement root, string section)
    {
        if (!root.TryGetProperty(section, out var s) || s.ValueKind != JsonValueKind.Object) yield break;
        yield return s;
        foreach (var key in new[] { "pretokenizers", "decoders", "normalizers" })
            if (s.TryGetProperty(key, out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var item in list.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.Object) yield return item;
    }

    private static bool IsType(JsonElement step, string type) => Str(step, "type") == type;

    private static string? Str(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A Replace step's pattern: {"String": " "} (a literal) or a plain string.</summary>
    private static string? ReplacePattern(JsonElement step)
        => !step.TryGetProperty("pattern", out var p) ? null
            : p.ValueKind == JsonValueKind.String ? p.GetString()
            : p.ValueKind == JsonValueKind.Object ? Str(p, "String") : null;

    public ITokenizer Build(SpecialTokens special)
    {
        var all = new Dictionary<string, int>(Vocab, StringComparer.Ordinal);
        foreach (var (k, v) in AddedTokens) all[k] = v;
        var specialTokens = AddedTokens.Count == 0 ? null : AddedTokens;
        var options = new BpeOptions(Vocab)
        {
            Merges = Merges,
            ByteLevel = ByteLevel,
            SpecialTokens = specialTokens,
            UnknownToken = UnknownToken,
            PreTokenizer = ByteLevel
                ? new RegexPreTokenizer(new Regex(TokenizerFactory.Gpt2Pattern, RegexOptions.Compiled), specialTokens)
                // Metaspace: split before every U+2581, keeping it as the word's prefix (Hugging Face's "merged_with_next").
                : Metaspace ? new RegexPreTokenizer(new Regex("\u2581[^\u2581]*|[^\u2581]+", RegexOptions.Compiled), specialTokens)
                : PreTokenizer.CreateWhiteSpace(specialTokens),
            Normalizer = Metaspace ? new MetaspaceNormalizer() : null,
        };
        BpeTokenizer bpe;
        try { bpe = BpeTokenizer.Create(options); }
        catch (Exception e) { throw new TokenizerLoadException($"{Path}: cannot build the BPE tokenizer ({e.Message}).", e); }
        int vocabSize = all.Count == 0 ? 0 : all.Values.Max() + 1;
        int eos = special.Eos(all, Path, "<|endoftext|>", "</s>", "<eos>");
        int? bos = (special.AddBos ?? Metaspace) ? special.Id("bos", all) ?? FirstOf(all, "<s>", "<bos>") : null;
        int pad = special.Id("pad", all) ?? eos;
        Func<IEnumerable<int>, string>? decode = null;
        if (Metaspace)
            decode = ids =>
            {
                string text = (bpe.Decode(ids) ?? "").Replace('\u2581', ' ');
                return text.StartsWith(' ') ? text[1..] : text;
            };
        return new HfTokenizer(bpe, "tokenizer.json", vocabSize, bos, eos, pad, text => bpe.EncodeToIds(text), decode);
    }

    private static int? FirstOf(Dictionary<string, int> vocab, params string[] names)
    {
        foreach (var n in names) if (vocab.TryGetValue(n, out int id)) return id;
        return null;
    }
}

/// <summary>SentencePiece-style normalization for tokenizer.json files using Metaspace: spaces become U+2581, with one prepended.</summary>
internal sealed class MetaspaceNormalizer : Normalizer
{
    public override string Normalize(string original) => "\u2581" + original.Replace(' ', '\u2581');
    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
