// The attention-head rules of a Llama-style decoder (RoPE, grouped-query attention), in one place for the generator
// (model: checks at the YAML line, DSLU0017) and the runtime (LlamaConfig.Validate, before any tensor exists):
// compiled into DslUnlearn.Runtime (namespace DslUnlearn.Models) and, linked, into the netstandard2.0 generator and
// the CLI's validate (namespace DslUnlearn.Generators.Dsl). Keep it netstandard2.0 C#: no runtime-only APIs.
using System.Collections.Generic;
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

        /// <summary>Hugging Face's LlamaConfig keys.</summary>
        public static HeadKeys Llama { get; } = new HeadKeys("hidden_size", "num_attention_heads", "num_key_value_heads");

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
        /// <summary>hidden_size splits evenly into heads.</summary>
        public static string? HeadsDivideHidden(int hidden, int heads, HeadKeys k)
            => hidden <= 0 || heads <= 0 || hidden % heads == 0
                ? null
                : $"{k.Hidden} ({hidden}) must be divisible by {k.Heads} ({heads}); {ValidHeads(hidden, k)}";

        /// <summary>The head dimension is even, as rotary position embeddings rotate pairs (checked once heads divide hidden_size).</summary>
        public static string? EvenHeadDimension(int hidden, int heads, HeadKeys k)
            => hidden <= 0 || heads <= 0 || hidden % heads != 0 || (hidden / heads) % 2 == 0
                ? null
                : $"the head dimension {k.Hidden} / {k.Heads} = {hidden}/{heads} = {hidden / heads} must be even for rotary position embeddings (RoPE); {ValidHeads(hidden, k)}";

        /// <summary>kv_heads divides heads (grouped-query attention shares each key/value head among heads / kv_heads heads).</summary>
        public static string? KvHeadsDivideHeads(int heads, int kvHeads, HeadKeys k)
            => heads <= 0 || kvHeads <= 0 || heads % kvHeads == 0
                ? null
                : $"{k.Heads} ({heads}) must be divisible by {k.KvHeads} ({kvHeads}) for grouped-query attention; valid {k.KvHeads} for {heads} {k.Heads}: {string.Join(", ", Divisors(heads))}";

        /// <summary>Every broken rule, in the order above.</summary>
        public static IReadOnlyList<string> Problems(int hidden, int heads, int kvHeads, HeadKeys k)
            => new[] { HeadsDivideHidden(hidden, heads, k), EvenHeadDimension(hidden, heads, k), KvHeadsDivideHeads(heads, kvHeads, k) }
                .Where(p => p is not null).Select(p => p!).ToList();

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

        /// <summary>"valid heads for hidden_size 128: 1, 2, 4, ...": the head counts that divide hidden_size into even head dimensions.</summary>
        private static string ValidHeads(int hidden, HeadKeys k)
        {
            var valid = Divisors(hidden).Where(h => (hidden / h) % 2 == 0).ToList();
            if (valid.Count == 0)
            {
                return $"no head count works for {k.Hidden} {hidden}: use an even {k.Hidden}";
            }

            var shown = valid.Count > 12 ? string.Join(", ", valid.Take(12)) + ", ..." : string.Join(", ", valid);
            return $"valid {k.Heads} for {k.Hidden} {hidden}: {shown}";
        }
    }
}
