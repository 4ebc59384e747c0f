using Microsoft.ML.Tokenizers;

namespace DslUnlearn.Text;

/// <summary>
/// An <see cref="ITokenizer"/> over a Microsoft.ML.Tokenizers tokenizer loaded from a checkpoint folder.
/// Encode never adds special tokens (the runtime adds BOS itself when <see cref="BosId"/> is set); Decode
/// drops BOS, EOS and padding ids.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    private readonly Func<string, IReadOnlyList<int>> _encode;
    private readonly Func<IEnumerable<int>, string> _decode;
    private readonly HashSet<int> _skipOnDecode;

    public HfTokenizer(Tokenizer inner, string kind, int vocabSize, int? bosId, int eosId, int padId,
        Func<string, IReadOnlyList<int>>? encode = null, Func<IEnumerable<int>, string>? decode = null)
    {
        Inner = inner;
        Kind = kind;
        VocabSize = vocabSize;
        BosId = bosId;
        EosId = eosId;
        PadId = padId;
        _encode = encode ?? (text => inner.EncodeToIds(text));
        _decode = decode ?? (ids => inner.Decode(ids) ?? "");
        _skipOnDecode = [eosId, padId];
        if (bosId is int b) _skipOnDecode.Add(b);
    }

    /// <summary>The underlying Microsoft.ML.Tokenizers object.</summary>
    public Tokenizer Inner { get; }
    /// <summary>Which file it came from: "tokenizer.json", "tokenizer.model", "vocab.json+merges.txt" or "tiktoken".</summary>
    public string Kind { get; }
    public int VocabSize { get; }
    public int? BosId { get; }
    public int EosId { get; }
    public int PadId { get; }

    public int[] Encode(string text) => _encode(text).ToArray();

    public string Decode(IEnumerable<int> ids) => _decode(ids.Where(i => !_skipOnDecode.Contains(i)));
}
