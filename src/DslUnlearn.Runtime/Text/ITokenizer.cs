namespace DslUnlearn.Text;

/// <summary>What the runtime needs of a tokenizer (the built-in char one, or one loaded from a checkpoint).</summary>
public interface ITokenizer
{
    int VocabSize { get; }
    /// <summary>Beginning-of-sequence id prepended to every prompt, or null when the model family uses none.</summary>
    int? BosId { get; }
    int EosId { get; }
    /// <summary>Id used for padding (labels there are always -100, so any valid id works).</summary>
    int PadId { get; }
    /// <summary>Token ids of <paramref name="text"/>, without special tokens.</summary>
    int[] Encode(string text);
    string Decode(IEnumerable<int> ids);
}
