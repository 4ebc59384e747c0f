using DslUnlearn.Torch;

namespace DslUnlearn.Tests.Models;

/// <summary>
/// libtorch errors in some ops abort the process (exit 134) instead of throwing. These tests feed such
/// inconsistent inputs and prove they become .NET exceptions with a clear message; reaching the
/// assertions at all proves the test process survived.
/// </summary>
public class NativeErrorSafetyTests
{
    [Fact]
    public void Hidden_size_not_divisible_by_heads_is_a_clear_exception()
    {
        var bad = new LlamaConfig(VocabSize: 100, HiddenSize: 130, NumHiddenLayers: 1, NumAttentionHeads: 4,
            NumKeyValueHeads: 3, IntermediateSize: 64, MaxPositionEmbeddings: 32);
        var e = Assert.Throws<ModelConfigException>(() => new LlamaForCausalLM(bad));
        // Models/HeadRules.cs, the rules (and wording) the spec's model: section is checked with at build time.
        Assert.Contains("hidden_size (130) must be divisible by num_attention_heads (4); valid num_attention_heads for hidden_size 130: 1, 5, 13, 65", e.Message);
        Assert.Contains("num_attention_heads (4) must be divisible by num_key_value_heads (3) for grouped-query attention; valid num_key_value_heads for 4 num_attention_heads: 1, 2, 4", e.Message);
        Assert.Equal(2, e.Problems.Count);
    }

    [Fact]
    public void Odd_head_dimension_is_rejected_for_rope()
    {
        var bad = new LlamaConfig(100, HiddenSize: 12, NumHiddenLayers: 1, NumAttentionHeads: 4, NumKeyValueHeads: 4, IntermediateSize: 8, MaxPositionEmbeddings: 16);
        var e = Assert.Throws<ModelConfigException>(() => bad.Validate());
        Assert.Equal(["the head dimension hidden_size / num_attention_heads = 12/4 = 3 must be even for rotary position embeddings (RoPE); valid num_attention_heads for hidden_size 12: 1, 2, 3, 6"], e.Problems);
    }

    [Fact]
    public void Matmul_with_mismatched_inner_dimensions_throws_instead_of_aborting()
    {
        using var a = torch.ones(2, 3);
        using var b = torch.ones(4, 5);
        var e = Assert.Throws<ShapeMismatchException>(() => SafeOps.MatMul(a, b, "probe readout"));
        Assert.Contains("probe readout: inner dimensions differ: [2, 3] @ [4, 5]", e.Message);
    }

    [Fact]
    public void Matmul_with_non_broadcasting_batches_throws()
    {
        using var a = torch.ones(2, 3, 4);
        using var b = torch.ones(5, 4, 6);
        Assert.Throws<ShapeMismatchException>(() => SafeOps.MatMul(a, b));
        using var ok = SafeOps.MatMul(a, torch.ones(1, 4, 6));
        Assert.Equal([2L, 3, 6], ok.shape);
    }

    [Fact]
    public void Model_inputs_that_disagree_with_the_config_are_clear_exceptions()
    {
        using var model = new LlamaForCausalLM(new LlamaConfig(20, 16, 1, 2, 2, 32, MaxPositionEmbeddings: 8));
        using var tooLong = torch.zeros(1, 9, dtype: torch.int64);
        Assert.Contains("exceeds max_position_embeddings = 8", Assert.Throws<ArgumentException>(() => model.forward(tooLong)).Message);
        using var outOfVocab = torch.full(1, 4, 25L, dtype: torch.int64);
        Assert.Contains("tokenizer and the model's vocab_size disagree", Assert.Throws<ArgumentException>(() => model.forward(outOfVocab)).Message);
        using var floats = torch.zeros(1, 4);
        Assert.Throws<ArgumentException>(() => model.forward(floats));
    }
}
