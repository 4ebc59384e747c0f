namespace DslUnlearn.Text;

/// <summary>
/// Character-level tokenizer over printable ASCII plus newline. Why hand-written: the built-in data is
/// ASCII by construction, a character vocabulary needs no vocabulary file, and a 100-token vocabulary
/// keeps the tiny quickstart model small. Real checkpoints bring their own tokenizer files instead.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    public const int Pad = 0, Bos = 1, Eos = 2, Unk = 3;
    private const int FirstChar = 4;
    private const char Newline = '\n';

    /// <summary>4 special tokens + '\n' + printable ASCII 32..126.</summary>
    public int VocabSize => FirstChar + 1 + (126 - 32 + 1);
    public int? BosId => Bos;
    public int EosId => Eos;
    public int PadId => Pad;

    public int[] Encode(string text)
    {
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++) ids[i] = IdOf(text[i]);
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var sb = new System.Text.StringBuilder();
        foreach (int id in ids)
        {
            if (id == FirstChar) sb.Append(Newline);
            else if (id > FirstChar && id < VocabSize) sb.Append((char)(id - FirstChar - 1 + 32));
            else if (id == Unk) sb.Append('\uFFFD');
        }
        return sb.ToString();
    }

    private static int IdOf(char c)
    {
        if (c == Newline) return FirstChar;
        if (c >= 32 && c <= 126) return FirstChar + 1 + (c - 32);
        return Unk;
    }
}
