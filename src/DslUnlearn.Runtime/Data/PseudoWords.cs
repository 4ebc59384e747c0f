namespace DslUnlearn.Data;

/// <summary>Pronounceable made-up words (names, titles) for the synthetic worlds, drawn syllable by syllable.</summary>
internal static class PseudoWords
{
    private static readonly string[] Onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "st", "th", "sh"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "ai", "ei", "ou"];
    private static readonly string[] Codas = ["", "", "n", "r", "l", "s", "th", "m"];

    /// <summary>A capitalised word of <paramref name="syllables"/> onset+vowel syllables, the last with a coda.</summary>
    public static string Next(SplitMix64 rng, int syllables)
    {
        var sb = new System.Text.StringBuilder();
        for (int s = 0; s < syllables; s++)
            sb.Append(rng.Pick(Onsets)).Append(rng.Pick(Vowels)).Append(s == syllables - 1 ? rng.Pick(Codas) : "");
        sb[0] = char.ToUpperInvariant(sb[0]);
        return sb.ToString();
    }
}
