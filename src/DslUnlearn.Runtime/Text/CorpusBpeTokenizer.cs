using Microsoft.ML.Tokenizers;

namespace DslUnlearn.Text;

/// <summary>
/// GPT-2's byte-level BPE (Microsoft.ML.Tokenizers' tiktoken "gpt2" with its data package, offline) restricted to the
/// token ids a corpus uses, so a small model's embedding holds a few hundred rows instead of 50,257. Every printable
/// ASCII character and the newline keep their single-character GPT-2 token, so text outside the corpus (an attack's
/// template) is still encoded: a GPT-2 token outside the kept set falls back to its characters. Ids: 0 pad, 1 BOS,
/// 2 EOS, 3 unknown (a non-ASCII character outside the corpus), then the kept GPT-2 ids in ascending order.
/// </summary>
public sealed class CorpusBpeTokenizer : ITokenizer
{
    public const int Pad = 0, Bos = 1, Eos = 2, Unk = 3;
    private const int First = 4;
    private static readonly Lazy<TiktokenTokenizer> Gpt2 = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    private readonly Dictionary<int, int> _toLocal;
    private readonly int[] _toGpt2;

    private CorpusBpeTokenizer(int[] gpt2Ids)
    {
        _toGpt2 = gpt2Ids;
        _toLocal = new Dictionary<int, int>(gpt2Ids.Length);
        for (int i = 0; i < gpt2Ids.Length; i++) _toLocal[gpt2Ids[i]] = First + i;
    }

    /// <summary>The GPT-2 ids kept, ascending (local id = <see cref="First"/> + position); part of the stage keys.</summary>
    public IReadOnlyList<int> Gpt2Ids => _toGpt2;

    public int VocabSize => First + _toGpt2.Length;
    public int? BosId => Bos;
    public int EosId => Eos;
    public int PadId => Pad;

    /// <summary>Keeps the GPT-2 ids of <paramref name="corpus"/> plus the single-character tokens of printable ASCII and '\n'.</summary>
    public static CorpusBpeTokenizer Build(IEnumerable<string> corpus)
    {
        var ids = new SortedSet<int>();
        for (char c = ' '; c <= '~'; c++) ids.UnionWith(Gpt2.Value.EncodeToIds(c.ToString()));
        ids.UnionWith(Gpt2.Value.EncodeToIds("\n"));
        foreach (var text in corpus) ids.UnionWith(Gpt2.Value.EncodeToIds(text));
        return new CorpusBpeTokenizer(ids.ToArray());
    }

    public int[] Encode(string text)
    {
        var result = new List<int>(text.Length / 3 + 1);
        foreach (int id in Gpt2.Value.EncodeToIds(text))
        {
            if (_toLocal.TryGetValue(id, out int local)) { result.Add(local); continue; }
            foreach (char c in Gpt2.Value.Decode([id]) ?? "")
            {
                var single = Gpt2.Value.EncodeToIds(c.ToString());
                result.Add(single.Count == 1 && _toLocal.TryGetValue(single[0], out int l) ? l : Unk);
            }
        }
        return result.ToArray();
    }

    public string Decode(IEnumerable<int> ids)
    {
        var sb = new System.Text.StringBuilder();
        var run = new List<int>();
        void Flush()
        {
            if (run.Count > 0) sb.Append(Gpt2.Value.Decode(run));
            run.Clear();
        }
        foreach (int id in ids)
        {
            if (id >= First && id < VocabSize) run.Add(_toGpt2[id - First]);
            else if (id == Unk) { Flush(); sb.Append('\uFFFD'); }
        }
        Flush();
        return sb.ToString();
    }
}
