namespace DslUnlearn.Models;

/// <summary>Architecture of a Phi-1/1.5/2 decoder; names follow Hugging Face's PhiConfig.</summary>
public sealed record PhiConfig(
    int VocabSize,
    int HiddenSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int IntermediateSize,
    int MaxPositionEmbeddings,
    int? NumKeyValueHeads = null,
    double PartialRotaryFactor = 0.5,
    double RopeTheta = 10000.0,
    double LayerNormEps = 1e-5,
    string HiddenAct = "gelu_new",
    RopeScaling? RopeScaling = null) : ICausalLMConfig
{
    public int HeadDim => HiddenSize / NumAttentionHeads;
    public int KvHeads => NumKeyValueHeads ?? NumAttentionHeads;
    /// <summary>Features of each head that get rotary embedding: int(head_dim * partial_rotary_factor), as in Hugging Face.</summary>
    public int RotaryDim => (int)(HeadDim * PartialRotaryFactor);

    public string ModelType => "phi";
    public string Architecture => "PhiForCausalLM";
    int ICausalLMConfig.NumLayers => NumHiddenLayers;
    int ICausalLMConfig.MaxPositions => MaxPositionEmbeddings;
    /// <summary>Phi's head has a bias and its own weight; tied Phi checkpoints are refused when read.</summary>
    public bool TieWordEmbeddings => false;
    ICausalLMConfig ICausalLMConfig.ValidateConfig() => Validate();

    public PhiConfig Validate()
    {
        var c = new ConfigChecks();
        c.Positive(VocabSize, "vocab_size");
        c.Positive(HiddenSize, "hidden_size");
        c.Positive(NumHiddenLayers, "num_hidden_layers");
        c.Positive(NumAttentionHeads, "num_attention_heads");
        c.Positive(KvHeads, "num_key_value_heads");
        c.Positive(IntermediateSize, "intermediate_size");
        c.Positive(MaxPositionEmbeddings, "max_position_embeddings");
        c.Positive(RopeTheta, "rope_theta");
        c.Positive(LayerNormEps, "layer_norm_eps");
        c.Supported(HiddenAct, Gpt2Config.SupportedActivations, "hidden_act");
        if (!(PartialRotaryFactor > 0 && PartialRotaryFactor <= 1))
            c.Add($"partial_rotary_factor = {PartialRotaryFactor} must lie in (0, 1].");
        c.Problems.AddRange(HeadRules.PhiProblems(HiddenSize, NumAttentionHeads, KvHeads, PartialRotaryFactor, HeadKeys.Llama)); // Models/HeadRules.cs
        RopeScaling?.Validate(c.Problems);
        c.ThrowIfAny();
        return this;
    }

    public static PhiConfig FromJson(JsonElement root, string source = "config.json")
    {
        var j = new ConfigJson(root, source);
        if (j.Bool("qk_layernorm", false)) j.Problems.Add("qk_layernorm = true is not supported (Phi-1, Phi-1.5 and Phi-2 do not use it).");
        if (j.Bool("tie_word_embeddings", false)) j.Problems.Add("tie_word_embeddings = true is not supported for phi (its lm_head has a bias of its own).");
        int heads = j.Int("num_attention_heads");
        var config = new PhiConfig(
            VocabSize: j.Int("vocab_size"),
            HiddenSize: j.Int("hidden_size"),
            NumHiddenLayers: j.Int("num_hidden_layers"),
            NumAttentionHeads: heads,
            IntermediateSize: j.Int("intermediate_size"),
            MaxPositionEmbeddings: j.Int("max_position_embeddings", 2048),
            NumKeyValueHeads: j.Has("num_key_value_heads") ? j.Int("num_key_value_heads") : null,
            PartialRotaryFactor: j.Double("partial_rotary_factor", 0.5),
            RopeTheta: j.Double("rope_theta", 10000.0),
            LayerNormEps: j.Double("layer_norm_eps", 1e-5),
            HiddenAct: j.String("hidden_act") ?? "gelu_new",
            RopeScaling: LlamaConfig.ReadRopeScaling(j));
        j.ThrowIfProblems();
        return config.Validate();
    }

    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray(Architecture),
        ["model_type"] = ModelType,
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["num_key_value_heads"] = NumKeyValueHeads,
        ["intermediate_size"] = IntermediateSize,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["partial_rotary_factor"] = PartialRotaryFactor,
        ["rope_theta"] = RopeTheta,
        ["rope_scaling"] = LlamaConfig.RopeScalingJson(RopeScaling),
        ["layer_norm_eps"] = LayerNormEps,
        ["hidden_act"] = HiddenAct,
        ["qk_layernorm"] = false,
        ["tie_word_embeddings"] = false,
    };
}
