using DslUnlearn.Components;
using DslUnlearn.Data;

namespace DslUnlearn.Attacks;

public record TokenNoiseOptions
{
    /// <summary>Fraction of the question's words replaced by the filler (rounded; at least one word when above 0).</summary>
    [Option(Min = 0, Max = 1)]
    public double Fraction { get; init; } = 0.2;
    /// <summary>The word put in their place.</summary>
    public string Filler { get; init; } = "the";
}

/// <summary>
/// Token noising: replaces a fraction of the words of every question (original and paraphrased) with a
/// filler word, as in the paper's "gender"/"Basil" -> "the". A word is a maximal run of letters and
/// digits, so punctuation stays ("born?" -> "the?"). Words are counted, not tokenizer tokens, so the
/// attack means the same under a character tokenizer and a BPE one. Which words are replaced depends only
/// on the attack seed and the example's text. Answers are never touched; the model is returned untouched.
/// </summary>
[Attack("token_noise", PreservesKnowledge = true)]
public sealed class TokenNoiseAttack : IAttack
{
    public TokenNoiseAttack(TokenNoiseOptions options)
    {
        if (!(options.Fraction is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.Fraction, "token_noise.fraction must lie in [0, 1].");
        if (string.IsNullOrEmpty(options.Filler))
            throw new ArgumentException("token_noise.filler must be a non-empty word, e.g. \"the\".", nameof(options));
        Options = options;
    }

    public TokenNoiseOptions Options { get; }

    public AttackResult Apply(AttackContext context)
    {
        ulong seed = context.Seed;
        QaExample Transform(QaExample e) => e with
        {
            Question = Noise(e.Question, Options.Fraction, Options.Filler, InputTransforms.ExampleSeed(seed, e, "token_noise:q")),
            ParaphrasedQuestion = e.ParaphrasedQuestion is null ? null : Noise(e.ParaphrasedQuestion, Options.Fraction, Options.Filler, InputTransforms.ExampleSeed(seed, e, "token_noise:p")),
        };
        return new AttackResult(context.Model, InputTransforms.Then(context.InputTransform, Transform));
    }

    /// <summary>Replaces round(fraction * words) words (at least one when fraction &gt; 0) chosen by a seeded shuffle.</summary>
    public static string Noise(string text, double fraction, string filler, ulong seed)
    {
        var words = new List<(int Start, int Length)>();
        for (int i = 0; i < text.Length;)
        {
            if (!char.IsLetterOrDigit(text[i])) { i++; continue; }
            int start = i;
            while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
            words.Add((start, i - start));
        }
        if (words.Count == 0 || fraction <= 0) return text;
        int count = Math.Clamp((int)Math.Round(fraction * words.Count, MidpointRounding.AwayFromZero), 1, words.Count);
        var order = Enumerable.Range(0, words.Count).ToList();
        new SplitMix64(seed).Shuffle(order);
        var chosen = order.Take(count).ToHashSet();
        var sb = new System.Text.StringBuilder(text.Length);
        int cursor = 0;
        for (int w = 0; w < words.Count; w++)
        {
            if (!chosen.Contains(w)) continue;
            sb.Append(text, cursor, words[w].Start - cursor).Append(filler);
            cursor = words[w].Start + words[w].Length;
        }
        sb.Append(text, cursor, text.Length - cursor);
        return sb.ToString();
    }
}
