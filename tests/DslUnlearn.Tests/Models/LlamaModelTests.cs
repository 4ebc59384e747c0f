namespace DslUnlearn.Tests.Models;

public class LlamaModelTests
{
    private static readonly LlamaConfig Small = new(VocabSize: 30, HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 4,
        NumKeyValueHeads: 2, IntermediateSize: 48, MaxPositionEmbeddings: 16);

    [Fact]
    public void Parameter_names_follow_hugging_face_llama_keys()
    {
        torch.manual_seed(1);
        using var model = new LlamaForCausalLM(Small);
        var names = model.named_parameters().Select(p => $"{p.name}:{string.Join("x", p.parameter.shape)}").ToList();
        Assert.Contains("model.embed_tokens.weight:30x32", names);
        Assert.Contains("model.layers.0.self_attn.q_proj.weight:32x32", names);
        Assert.Contains("model.layers.1.self_attn.k_proj.weight:16x32", names);   // 2 kv heads x head dim 8
        Assert.Contains("model.layers.1.self_attn.v_proj.weight:16x32", names);
        Assert.Contains("model.layers.0.self_attn.o_proj.weight:32x32", names);
        Assert.Contains("model.layers.0.mlp.gate_proj.weight:48x32", names);
        Assert.Contains("model.layers.0.mlp.up_proj.weight:48x32", names);
        Assert.Contains("model.layers.0.mlp.down_proj.weight:32x48", names);
        Assert.Contains("model.layers.0.input_layernorm.weight:32", names);
        Assert.Contains("model.layers.0.post_attention_layernorm.weight:32", names);
        Assert.Contains("model.norm.weight:32", names);
        Assert.Contains("lm_head.weight:30x32", names);
        Assert.Equal(3 + 2 * 9, names.Count);
    }

    [Fact]
    public void Attention_is_causal_later_tokens_do_not_change_earlier_logits()
    {
        torch.manual_seed(2);
        using var model = new LlamaForCausalLM(Small);
        model.eval();
        using var _ = torch.no_grad();
        using var a = torch.tensor(new long[] { 1, 5, 7, 9, 11, 13 }, [1, 6]);
        using var b = torch.tensor(new long[] { 1, 5, 7, 9, 20, 21 }, [1, 6]);
        using var la = model.forward(a);
        using var lb = model.forward(b);
        Assert.True(la.narrow(1, 0, 4).allclose(lb.narrow(1, 0, 4), rtol: 0, atol: 1e-6));
        Assert.False(la.narrow(1, 4, 2).allclose(lb.narrow(1, 4, 2)));
    }

    [Fact]
    public void Same_seed_gives_bit_identical_weights_and_logits()
    {
        float[] Run()
        {
            torch.manual_seed(3);
            using var model = new LlamaForCausalLM(Small);
            using var ids = torch.tensor(new long[] { 1, 2, 3, 4 }, [1, 4]);
            using var logits = model.forward(ids);
            return logits.data<float>().ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Forward_and_backward_loops_leak_no_tensors()
    {
        torch.manual_seed(4);
        using var model = new LlamaForCausalLM(Small);
        using var ids = torch.tensor(new long[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        void Step()
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad();
            var loss = model.forward(ids).sum();
            loss.backward();
        }
        Step(); // first step allocates the gradients, which live with the parameters
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, stats.ThreadTotalLiveCount);
    }
}
