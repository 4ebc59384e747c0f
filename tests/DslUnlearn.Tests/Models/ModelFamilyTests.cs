using System.Runtime.CompilerServices;
using DslUnlearn.Generation;

namespace DslUnlearn.Tests.Models;

public class ModelFamilyTests
{
    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Attention_is_causal_in_every_family(string name)
    {
        using var model = TinyModels.Create(name);
        using var _ = torch.no_grad();
        using var a = torch.tensor(new long[] { 1, 5, 7, 9, 11, 13 }, [1, 6]);
        using var b = torch.tensor(new long[] { 1, 5, 7, 9, 20, 21 }, [1, 6]);
        using var la = model.Logits(a);
        using var lb = model.Logits(b);
        Assert.Equal([1, 6, TinyModels.Vocab], la.shape);
        Assert.True(la.narrow(1, 0, 4).allclose(lb.narrow(1, 0, 4), rtol: 0, atol: 1e-6));
        Assert.False(la.narrow(1, 4, 2).allclose(lb.narrow(1, 4, 2)));
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Hidden_states_count_layers_plus_one_and_read_out_gives_the_logits(string name)
    {
        using var model = TinyModels.Create(name);
        using var _ = torch.no_grad();
        using var ids = TinyModels.RandomIds(2, 5);
        using var output = model.Forward(ids, outputHiddenStates: true);
        Assert.Equal(model.NumLayers + 1, output.HiddenStates!.Count);
        using var readOut = model.ReadOut(output.HiddenStates[^1]);
        Assert.True(TensorAssert.Same(readOut, output.Logits));
        using var plain = model.Logits(ids);
        Assert.True(TensorAssert.Same(plain, output.Logits));
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Clone_copies_weights_exactly(string name)
    {
        using var model = TinyModels.Create(name);
        using var copy = model.Clone();
        using var _ = torch.no_grad();
        using var ids = TinyModels.RandomIds(1, 7);
        using var a = model.Logits(ids);
        using var b = copy.Logits(ids);
        Assert.True(TensorAssert.Same(a, b));
        Assert.Equal(model.Family, copy.Family);
    }

    [Fact]
    public void Gpt2_keys_follow_hugging_face_with_conv1d_layout_and_tied_head()
    {
        using var model = TinyModels.Create("gpt2");
        var names = model.Module.named_parameters().Select(p => $"{p.name}:{string.Join("x", p.parameter.shape)}").ToList();
        Assert.Contains("transformer.wte.weight:40x32", names);
        Assert.Contains("transformer.wpe.weight:64x32", names);
        Assert.Contains("transformer.h.0.attn.c_attn.weight:32x96", names);   // [in, out], not Linear's [out, in]
        Assert.Contains("transformer.h.1.mlp.c_fc.weight:32x128", names);
        Assert.Contains("transformer.h.1.mlp.c_proj.weight:128x32", names);
        Assert.Contains("transformer.ln_f.bias:32", names);
        Assert.DoesNotContain(names, n => n.StartsWith("lm_head"));
        Assert.Equal(4 + 2 * 12, names.Count);
    }

    [Fact]
    public void Tied_llama_reads_out_through_the_embedding_matrix()
    {
        using var model = (LlamaForCausalLM)TinyModels.Create("llama-variant");
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", names);
        using var _ = torch.no_grad();
        using var hidden = torch.randn(1, 1, 32);
        using var logits = model.ReadOut(hidden);
        var embedding = model.named_parameters().First(p => p.name == "model.embed_tokens.weight").parameter;
        var norm = model.named_parameters().First(p => p.name == "model.norm.weight").parameter;
        using var normed = hidden * torch.rsqrt(hidden.pow(2).mean([-1], keepdim: true) + 1e-5) * norm;
        using var expected = normed.matmul(embedding.t());
        Assert.True(logits.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Phi_rotates_only_the_first_half_of_each_head()
    {
        // partial_rotary_factor 0.5 with head_dim 8 -> rotary_dim 4.
        Assert.Equal(4, TinyModels.Phi.RotaryDim);
        using var x = torch.randn(1, 1, 3, 8);
        var inv = Rotary.InverseFrequencies(4, 10000, null, CPU);
        using var positions = torch.tensor(new long[] { 0, 1, 2 }, [1, 3]);
        var (cos, sin) = Rotary.TablesAt(positions, inv);
        using var y = Rotary.ApplyPartial(x, cos, sin);
        Assert.True(TensorAssert.Same(y.narrow(-1, 4, 4), x.narrow(-1, 4, 4)));
        Assert.False(y.narrow(-1, 0, 4).narrow(2, 1, 2).allclose(x.narrow(-1, 0, 4).narrow(2, 1, 2)));
        Assert.True(y.narrow(2, 0, 1).allclose(x.narrow(2, 0, 1), rtol: 0, atol: 1e-7));   // position 0: identity
    }

    [Fact]
    public void Rope_scaling_linear_halves_frequencies_and_llama3_blends_by_wavelength()
    {
        using var plain = Rotary.InverseFrequencies(8, 10000, null, CPU);
        Assert.Equal([1.0, 0.1, 0.01, 0.001], plain.data<double>().ToArray().Select(v => Math.Round(v, 12)));
        using var linear = Rotary.InverseFrequencies(8, 10000, new RopeScaling("linear", 2.0), CPU);
        Assert.Equal([0.5, 0.05, 0.005, 0.0005], linear.data<double>().ToArray().Select(v => Math.Round(v, 12)));
        // llama3 with factor 8, low 1, high 4, original context 16: wavelengths 2*pi/f = 6.28, 62.8, 628, 6283.
        // 6.28 lies between 16/4 = 4 and 16/1 = 16 -> blended with s = (16/6.2832 - 1)/(4 - 1) = 0.51549;
        // the others exceed 16 -> divided by 8.
        using var l3 = Rotary.InverseFrequencies(8, 10000, new RopeScaling("llama3", 8.0, 1.0, 4.0, 16), CPU);
        double s = (16 / (2 * Math.PI) - 1) / 3;
        double[] expected = [(1 - s) / 8 + s, 0.1 / 8, 0.01 / 8, 0.001 / 8];
        var actual = l3.data<double>().ToArray();
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 12);
        Assert.Equal(0.576056, actual[0], 6);
    }

    [Fact]
    public void Configs_round_trip_through_config_json()
    {
        foreach (var config in TinyModels.All.Values)
        {
            var json = config.ToJson().ToJsonString();
            var back = CausalLMFactory.ParseConfig(json);
            Assert.Equal(config, back);
        }
    }

    [Fact]
    public void Real_config_json_files_parse_with_hugging_face_defaults()
    {
        var llama = (LlamaConfig)CausalLMFactory.ParseConfig(RealConfigs.Llama2_7b);
        Assert.Equal(new LlamaConfig(32000, 4096, 32, 32, 32, 11008, 4096, 10000, 1e-5), llama);
        var phi = (PhiConfig)CausalLMFactory.ParseConfig(RealConfigs.Phi1_5);
        Assert.Equal(32, phi.RotaryDim);
        Assert.Equal(32, phi.KvHeads);
        var gpt2 = (Gpt2Config)CausalLMFactory.ParseConfig(RealConfigs.Gpt2);
        Assert.Equal(3072, gpt2.InnerSize);
        Assert.True(gpt2.TieWordEmbeddings);
        var llama3 = (LlamaConfig)CausalLMFactory.ParseConfig(RealConfigs.Llama3_1_8b);
        Assert.Equal(new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192), llama3.RopeScaling);
        Assert.Equal(8, llama3.NumKeyValueHeads);
    }

    [Fact]
    public void Bad_config_json_lists_every_problem_with_the_file()
    {
        var e = Assert.Throws<ModelConfigException>(() => CausalLMFactory.ParseConfig(
            """{"model_type": "llama", "hidden_size": "big", "num_attention_heads": 4, "hidden_act": "relu", "rope_scaling": {"rope_type": "yarn", "factor": 4}}""", "ckpt/config.json"));
        Assert.Contains("ckpt/config.json: vocab_size is missing (required).", e.Message);
        Assert.Contains("hidden_size must be an integer, got \"big\"", e.Message);
        Assert.Contains("hidden_act = \"relu\" is not supported; supported: silu", e.Message);
        Assert.Contains("intermediate_size is missing", e.Message);
        var unknown = Assert.Throws<ModelConfigException>(() => CausalLMFactory.ParseConfig("""{"model_type": "mamba"}"""));
        Assert.Contains("model_type = \"mamba\" is not supported; supported: llama, gpt2, phi", unknown.Message);
        var scaling = Assert.Throws<ModelConfigException>(() => CausalLMFactory.ParseConfig(
            """{"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "rope_scaling": {"rope_type": "yarn", "factor": 4}}"""));
        Assert.Contains("rope_scaling.rope_type = \"yarn\" is not supported; supported: linear, llama3", scaling.Message);
        var notJson = Assert.Throws<ModelConfigException>(() => CausalLMFactory.ParseConfig("{", "x/config.json"));
        Assert.Contains("x/config.json: not valid JSON", notJson.Message);
    }

    [Theory]
    [InlineData("llama-2-7b", 6_738_415_616L)]
    [InlineData("phi-1_5", 1_418_270_720L)]
    [InlineData("gpt2", 124_439_808L)]
    public void Real_architectures_have_the_hugging_face_keys_and_shapes(string name, long parameters)
    {
        string json = name switch { "llama-2-7b" => RealConfigs.Llama2_7b, "phi-1_5" => RealConfigs.Phi1_5, _ => RealConfigs.Gpt2 };
        // The meta device records shapes without allocating: a 7B model costs nothing here.
        using var model = CausalLMFactory.FromConfig(json, torch.device("meta"));
        var actual = model.Module.named_parameters()
            .Select(p => $"{p.name} [{string.Join(", ", p.parameter.shape)}]").Order(StringComparer.Ordinal).ToList();
        var expected = File.ReadAllLines(ApprovedPath(name + ".txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(parameters, model.Module.parameters().Sum(p => p.numel()));
        Assert.All(model.Module.parameters(), p => Assert.Equal(DeviceType.META, p.device_type));
    }

    [Fact]
    public void Masked_and_cached_forwards_leak_no_tensors()
    {
        using var model = TinyModels.Create("phi");
        using var ids = TinyModels.RandomIds(2, 5);
        using var mask = torch.tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 5]);
        void Step()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            using var cache = new KvCache(model.NumLayers);
            model.Forward(ids, mask, cache, false);
            using var next = torch.ones(2, 1, dtype: int64);
            using var mask2 = torch.ones(2, 6, dtype: int64);
            model.Forward(next, mask2, cache, false);
        }
        Step();
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        for (int i = 0; i < 3; i++) Step();
        Assert.Equal(0, stats.ThreadTotalLiveCount);
    }

    private static string ApprovedPath(string file, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Approved", file);
}

/// <summary>config.json of real checkpoints, as published on the Hugging Face hub (architecture keys).</summary>
internal static class RealConfigs
{
    public const string Llama2_7b = """
        {"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096,
         "initializer_range": 0.02, "intermediate_size": 11008, "max_position_embeddings": 4096, "model_type": "llama",
         "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
         "rope_scaling": null, "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.31.0.dev0",
         "use_cache": true, "vocab_size": 32000}
        """;

    public const string Phi1_5 = """
        {"architectures": ["PhiForCausalLM"], "attention_dropout": 0.0, "bos_token_id": null, "embd_pdrop": 0.0, "eos_token_id": null,
         "hidden_act": "gelu_new", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192, "layer_norm_eps": 1e-05,
         "max_position_embeddings": 2048, "model_type": "phi", "num_attention_heads": 32, "num_hidden_layers": 24,
         "num_key_value_heads": null, "partial_rotary_factor": 0.5, "qk_layernorm": false, "resid_pdrop": 0.0, "rope_scaling": null,
         "rope_theta": 10000.0, "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.37.0",
         "use_cache": true, "vocab_size": 51200}
        """;

    public const string Gpt2 = """
        {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1, "bos_token_id": 50256,
         "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
         "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1,
         "summary_activation": null, "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
         "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}}, "vocab_size": 50257}
        """;

    public const string Llama3_1_8b = """
        {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "hidden_act": "silu", "hidden_size": 4096,
         "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
         "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
         "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
         "rope_theta": 500000.0, "tie_word_embeddings": false, "vocab_size": 128256}
        """;
}
