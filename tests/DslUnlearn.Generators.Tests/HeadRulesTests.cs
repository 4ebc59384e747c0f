using DslUnlearn.Models;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// Phi's and GPT-2's head rules are Models/HeadRules.cs too (with Llama's, which the build's model: checks share). The
/// expectation is the family's own definition, as Hugging Face's modules build the attention (PhiAttention: head_dim =
/// hidden_size // num_attention_heads must split hidden_size exactly, rotary_ndims = int(head_dim * partial_rotary_factor)
/// rotates pairs, num_key_value_groups = heads // kv_heads; GPT2Attention: split_size % num_heads == 0), computed here
/// by arithmetic and not by the rules under test.
/// </summary>
public sealed class HeadRulesTests
{
    [Fact]
    public void Phi_configs_are_refused_exactly_when_its_attention_cannot_be_built()
    {
        var refused = 0;
        foreach (var (hidden, heads, kv, factor) in from h in new[] { 8, 12, 20, 24, 100, 128 } from n in new[] { 1, 2, 3, 4, 8 } from k in new[] { 1, 2, 3 }
                 from f in new[] { 0.25, 0.4, 0.5, 1.0 } select (h, n, k, f))
        {
            var impossible = hidden % heads != 0 || heads % kv != 0 || (int)(hidden / heads * factor) < 2 || (int)(hidden / heads * factor) % 2 != 0;
            var config = new PhiConfig(VocabSize: 100, HiddenSize: hidden, NumHiddenLayers: 1, NumAttentionHeads: heads, IntermediateSize: 16,
                MaxPositionEmbeddings: 32, NumKeyValueHeads: kv, PartialRotaryFactor: factor);
            var problems = Record.Exception(() => config.Validate()) is ModelConfigException e ? e.Problems.ToList() : new List<string>();
            Assert.True(impossible == problems.Count > 0, $"hidden {hidden}, heads {heads}, kv {kv}, factor {factor}: {string.Join("; ", problems)}");
            refused += impossible ? 1 : 0;
        }

        Assert.InRange(refused, 50, 300); // the grid holds both kinds
        var odd = Assert.Throws<ModelConfigException>(() => new PhiConfig(100, 24, 1, 4, 16, 32, PartialRotaryFactor: 0.5).Validate());
        Assert.Equal(["the rotary dimension int(head dimension 24/4 = 6 * partial_rotary_factor 0.5) = 3 must be even and >= 2; valid num_attention_heads for hidden_size 24: 1, 2, 3, 6"], odd.Problems);
        var split = Assert.Throws<ModelConfigException>(() => new PhiConfig(100, 20, 1, 3, 16, 32, NumKeyValueHeads: 2).Validate());
        Assert.Equal(["hidden_size (20) must be divisible by num_attention_heads (3); valid num_attention_heads for hidden_size 20: 1, 4, 5",
            "num_attention_heads (3) must be divisible by num_key_value_heads (2) for grouped-query attention; valid num_key_value_heads for 3 num_attention_heads: 1, 3"], split.Problems);
    }

    [Fact]
    public void Gpt2_configs_are_refused_exactly_when_n_head_does_not_split_n_embd()
    {
        foreach (var (embd, heads) in from h in new[] { 8, 12, 20, 100 } from n in new[] { 1, 3, 4, 7, 8 } select (h, n))
        {
            var config = new Gpt2Config(VocabSize: 100, NPositions: 32, NEmbd: embd, NLayer: 1, NHead: heads);
            var problems = Record.Exception(() => config.Validate()) is ModelConfigException e ? e.Problems.ToList() : new List<string>();
            Assert.Equal(embd % heads != 0, problems.Count > 0);
        }

        // No RoPE: an odd head dimension is fine, so every divisor is listed.
        var e12 = Assert.Throws<ModelConfigException>(() => new Gpt2Config(100, 32, 12, 1, 5).Validate());
        Assert.Equal(["n_embd (12) must be divisible by n_head (5); valid n_head for n_embd 12: 1, 2, 3, 4, 6, 12"], e12.Problems);
    }
}
