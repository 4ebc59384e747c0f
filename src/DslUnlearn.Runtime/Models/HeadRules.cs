// The attention-head rules of the decoder families (Llama: RoPE, grouped-query attention; Phi: partial RoPE; GPT-2: no
// RoPE), in one place for the generator (model: checks at the YAML line, DSLU0017) and the runtime (LlamaConfig,
// PhiConfig and Gpt2Config.Validate, before any tensor exists):
// compiled into DslUnlearn.Runtime (namespace DslUnlearn.Models) and, linked, into the netstandard2.0 generator and
// the CLI's validate (namespace DslUnlearn.Generators.Dsl). Keep it netstandard2.0 C#: no runtime-only APIs.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

#if DSLUNLEARN_GENERATOR
namespace DslUnlearn.Generators.Dsl
#else
namespace DslUnlearn.Models
#endif
{
    /// <summary>The names the rules' messages give the three sizes: the spec's keys or config.json's.</summary>
    public sealed class HeadKeys
    {
        public HeadKeys(string hidden, string heads, string kvHeads)
        {
            Hidden = hidden;
            Heads = heads;
            KvHeads = kvHeads;
        }

        /// <summary>model.hidden_size, model.heads, model.kv_heads.</summary>
        public static HeadKeys Spec { get; } = new HeadKeys("hidden_size", "heads", "kv_heads");

        /// <summary>Hugging Face's LlamaConfig keys (PhiConfig's are the same).</summary>
        public static HeadKeys Llama { get; } = new HeadKeys("hidden_size", "num_attention_heads", "num_key_value_heads");

        /// <summary>Hugging Face's GPT2Config keys (no grouped-query attention: every head has its own keys and values).</summary>
        public static HeadKeys Gpt2 { get; } = new HeadKeys("n_embd", "n_head", "n_head");

        public string Hidden { get; }

        public string Heads { get; }

        public string KvHeads { get; }
    }

    /// <summary>
    /// Each rule returns its message, naming the valid values, or null when it holds (or when a size is not positive:
    /// that is a range problem, reported by the caller).
    /// </summary>
    public static class HeadRules
    {
        /// <summary>hidden_size splits evenly into heads (Llama: the valid counts named are those with an even head dimension).</summary>
        public static string? HeadsDivideHidden(int hidden, int heads, HeadKeys k)
            => hidden <= 0 || heads <= 0 || hidden % heads == 0
                ? null
                : $"{k.Hidden} ({hidden}) must be divisible by {k.Heads} ({heads}); {ValidHeads(hidden, k, EvenHeadDim, "use an even " + k.Hidden)}";

        /// <summary>hidden_size splits evenly into heads; the message names the head counts whose head dimension the family accepts.</summary>
        public static string? HeadsDivideHidden(int hidden, int heads, HeadKeys k, Func<int, bool> validHeadDim)
            => hidden <= 0 || heads <= 0 || hidden % heads == 0
                ? null
                : $"{k.Hidden} ({hidden}) must be divisible by {k.Heads} ({heads}); {ValidHeads(hidden, k, validHeadDim, "use another " + k.Hidden)}";

        /// <summary>The head dimension is even, as rotary position embeddings rotate pairs (checked once heads divide hidden_size).</summary>
        public static string? EvenHeadDimension(int hidden, int heads, HeadKeys k)
            => hidden <= 0 || heads <= 0 || hidden % heads != 0 || (hidden / heads) % 2 == 0
                ? null
                : $"the head dimension {k.Hidden} / {k.Heads} = {hidden}/{heads} = {hidden / heads} must be even for rotary position embeddings (RoPE); {ValidHeads(hidden, k, EvenHeadDim, "use an even " + k.Hidden)}";

        /// <summary>
        /// Phi's partial RoPE: the rotated part of each head, int(head_dim * partial_rotary_factor) as in Hugging Face, is even
        /// and at least 2 (checked once heads divide hidden_size and the factor lies in (0, 1]).
        /// </summary>
        public static string? PartialRotaryDimension(int hidden, int heads, double partialRotaryFactor, HeadKeys k)
        {
            if (hidden <= 0 || heads <= 0 || hidden % heads != 0 || !(partialRotaryFactor > 0 && partialRotaryFactor <= 1))
            {
                return null;
            }

            var rotary = RotaryDim(hidden / heads, partialRotaryFactor);
            return rotary >= 2 && rotary % 2 == 0
                ? null
                : $"the rotary dimension int(head dimension {hidden}/{heads} = {hidden / heads} * partial_rotary_factor {Format(partialRotaryFactor)}) = {rotary} " +
                  $"must be even and >= 2; {ValidHeads(hidden, k, d => PartialRotaryHolds(d, partialRotaryFactor), "use a larger " + k.Hidden + " or partial_rotary_factor")}";
        }

        /// <summary>The features of a head that Phi rotates: int(head_dim * partial_rotary_factor).</summary>
        public static int RotaryDim(int headDim, double partialRotaryFactor) => (int)(headDim * partialRotaryFactor);

        /// <summary>kv_heads divides heads (grouped-query attention shares each key/value head among heads / kv_heads heads).</summary>
        public static string? KvHeadsDivideHeads(int heads, int kvHeads, HeadKeys k)
            => heads <= 0 || kvHeads <= 0 || heads % kvHeads == 0
                ? null
                : $"{k.Heads} ({heads}) must be divisible by {k.KvHeads} ({kvHeads}) for grouped-query attention; valid {k.KvHeads} for {heads} {k.Heads}: {string.Join(", ", Divisors(heads))}";

        /// <summary>Every broken rule of a Llama decoder (and of the spec's model: section), in the order above.</summary>
        public static IReadOnlyList<string> Problems(int hidden, int heads, int kvHeads, HeadKeys k)
            => Broken(HeadsDivideHidden(hidden, heads, k), EvenHeadDimension(hidden, heads, k), KvHeadsDivideHeads(heads, kvHeads, k));

        /// <summary>Every broken rule of a Phi decoder: heads divide hidden_size, the partial rotary dimension, kv heads divide heads.</summary>
        public static IReadOnlyList<string> PhiProblems(int hidden, int heads, int kvHeads, double partialRotaryFactor, HeadKeys k)
            => Broken(HeadsDivideHidden(hidden, heads, k, d => PartialRotaryHolds(d, partialRotaryFactor)),
                PartialRotaryDimension(hidden, heads, partialRotaryFactor, k), KvHeadsDivideHeads(heads, kvHeads, k));

        /// <summary>Every broken rule of a GPT-2 decoder: heads divide n_embd (no RoPE, so any head dimension works).</summary>
        public static IReadOnlyList<string> Gpt2Problems(int hidden, int heads, HeadKeys k) => Broken(HeadsDivideHidden(hidden, heads, k, _ => true));

        private static IReadOnlyList<string> Broken(params string?[] messages) => messages.Where(p => p is not null).Select(p => p!).ToList();

        private static bool EvenHeadDim(int headDim) => headDim % 2 == 0;

        /// <summary>Where the factor itself is out of (0, 1], that is its own problem: any head dimension is listed.</summary>
        private static bool PartialRotaryHolds(int headDim, double factor)
            => !(factor > 0 && factor <= 1) || (RotaryDim(headDim, factor) >= 2 && RotaryDim(headDim, factor) % 2 == 0);

        private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

        /// <summary>The divisors of <paramref name="n"/> (n &gt; 0), ascending.</summary>
        public static IEnumerable<int> Divisors(int n)
        {
            var small = new List<int>();
            var large = new List<int>();
            for (long d = 1; d * d <= n; d++)
            {
                if (n % d == 0)
                {
                    small.Add((int)d);
                    if (d * d != n)
                    {
                        large.Add((int)(n / d));
                    }
                }
            }

            large.Reverse();
            return small.Concat(large);
        }

        /// <summary>"valid heads for hidden_size 128: 1, 2, 4, ...": the head counts that divide hidden_size into head dimensions the family accepts.</summary>
        private static string ValidHeads(int hidden, HeadKeys k, Func<int, bool> validHeadDim, string noneFix)
        {
            var valid = Divisors(hidden).Where(h => validHeadDim(hidden / h)).ToList();
            if (valid.Count == 0)
            {
                return $"no head count works for {k.Hidden} {hidden}: {noneFix}";
            }

            var shown = valid.Count > 12 ? string.Join(", ", valid.Take(12)) + ", ..." : string.Join(", ", valid);
            return $"valid {k.Heads} for {k.Hidden} {hidden}: {shown}";
        }
    }
}
