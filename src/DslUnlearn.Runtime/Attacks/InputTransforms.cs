using DslUnlearn.Data;

namespace DslUnlearn.Attacks;

/// <summary>Helpers for the prompt-side half of attacks: composing input transforms and seeding them per example.</summary>
public static class InputTransforms
{
    /// <summary><paramref name="first"/> then <paramref name="second"/>; null means identity.</summary>
    public static Func<QaExample, QaExample>? Then(Func<QaExample, QaExample>? first, Func<QaExample, QaExample>? second)
        => first is null ? second : second is null ? first : e => second(first(e));

    /// <summary>
    /// A seed for one example that depends only on the attack seed and the example's text (FNV-1a over
    /// UTF-16 code units, then SplitMix64 mixing): stable across runs, processes and .NET versions, unlike
    /// <see cref="string.GetHashCode()"/>, and independent of the order in which examples are visited.
    /// </summary>
    public static ulong ExampleSeed(ulong seed, QaExample example, string salt = "")
    {
        ulong h = 14695981039346656037UL;
        void Mix(string s)
        {
            foreach (char ch in s) { h ^= ch; h *= 1099511628211UL; }
            h ^= 0xFF; h *= 1099511628211UL; // field separator
        }
        Mix(salt);
        Mix(example.Author);
        Mix(example.Question);
        return new SplitMix64(seed ^ h).NextUInt64();
    }
}
