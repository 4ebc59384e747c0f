namespace DslUnlearn.Models;

/// <summary>Architecture of a Llama-style decoder; names follow Hugging Face's LlamaConfig.</summary>
public sealed record LlamaConfig(
    int VocabSize,
    int HiddenSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int NumKeyValueHeads,
    int IntermediateSize,
    int MaxPositionEmbeddings,
    double RopeTheta = 10000.0,
    double RmsNormEps = 1e-5,
    RopeScaling? RopeScaling = null,
    bool TieWordEmbeddings = false,
    bool AttentionBias = false,
    bool MlpBias = false) : ICausalLMConfig
{
    public int HeadDim => HiddenSize / NumAttentionHeads;

    public string ModelType => "llama";
    public string Architecture => "LlamaForCausalLM";
    int ICausalLMConfig.NumLayers => NumHiddenLayers;
    int ICausalLMConfig.MaxPositions => MaxPositionEmbeddings;
    ICausalLMConfig ICausalLMConfig.ValidateConfig() => Validate();

    /// <summary>Reads Hugging Face's LlamaConfig keys (defaults as in transformers); throws listing every problem.</summary>
    public static LlamaConfig FromJson(JsonElement root, string source = "config.json")
    {
        var j = new ConfigJson(root, source);
        int heads = j.Int("num_attention_heads");
        int hidden = j.Int("hidden_size");
        j.Expect("hidden_act", "silu");
        if (j.Has("head_dim") && heads > 0 && j.Int("head_dim") != hidden / heads)
            j.Problems.Add($"head_dim = {j.Int("head_dim")} differs from hidden_size / num_attention_heads = {hidden / heads}; only the standard head size is supported.");
        var config = new LlamaConfig(
            VocabSize: j.Int("vocab_size"),
            HiddenSize: hidden,
            NumHiddenLayers: j.Int("num_hidden_layers"),
            NumAttentionHeads: heads,
            NumKeyValueHeads: j.Int("num_key_value_heads", heads),
            IntermediateSize: j.Int("intermediate_size"),
            MaxPositionEmbeddings: j.Int("max_position_embeddings", 2048),
            RopeTheta: j.Double("rope_theta", 10000.0),
            RmsNormEps: j.Double("rms_norm_eps", 1e-6),
            RopeScaling: ReadRopeScaling(j),
            TieWordEmbeddings: j.Bool("tie_word_embeddings", false),
            AttentionBias: j.Bool("attention_bias", false),
            MlpBias: j.Bool("mlp_bias", false));
        j.ThrowIfProblems();
        return config.Validate();
    }

    internal static RopeScaling? ReadRopeScaling(ConfigJson j)
    {
        if (j.Object("rope_scaling") is not JsonElement rs) return null;
        var r = new ConfigJson(rs, j.Source + " rope_scaling");
        string type = r.String("rope_type") ?? r.String("type") ?? "default";
        if (type == "default") return null;
        var scaling = new RopeScaling(type, r.Double("factor", double.NaN), r.Double("low_freq_factor", 1.0),
            r.Double("high_freq_factor", 4.0), r.Int("original_max_position_embeddings", 8192));
        j.Problems.AddRange(r.Problems.Select(p => "rope_scaling." + p));
        return scaling;
    }

    internal static JsonObject? RopeScalingJson(RopeScaling? s) => s is null ? null : s.Type == "linear"
        ? new JsonObject { ["rope_type"] = s.Type, ["factor"] = s.Factor }
        : new JsonObject
        {
            ["rope_type"] = s.Type, ["factor"] = s.Factor, ["low_freq_factor"] = s.LowFreqFactor,
            ["high_freq_factor"] = s.HighFreqFactor, ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
        };

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
        ["hidden_act"] = "silu",
        ["rope_theta"] = RopeTheta,
        ["rms_norm_eps"] = RmsNormEps,
        ["rope_scaling"] = RopeScalingJson(RopeScaling),
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["attention_bias"] = AttentionBias,
        ["mlp_bias"] = MlpBias,
    };

    /// <summary>
    /// Throws <see cref="ModelConfigException"/> listing every inconsistency. Runs before any tensor is
    /// allocated: an inconsistent shape reaching libtorch can abort the whole process instead of throwing.
    /// </summary>
    public LlamaConfig Validate()
    {
        var c = new ConfigChecks();
        c.Positive(VocabSize, "vocab_size");
        c.Positive(HiddenSize, "hidden_size");
        c.Positive(NumHiddenLayers, "num_hidden_layers");
        c.Positive(NumAttentionHeads, "num_attention_heads");
        c.Positive(NumKeyValueHeads, "num_key_value_heads");
        c.Positive(IntermediateSize, "intermediate_size");
        c.Positive(MaxPositionEmbeddings, "max_position_embeddings");
        c.Positive(RopeTheta, "rope_theta");
        c.Positive(RmsNormEps, "rms_norm_eps");
        c.Problems.AddRange(HeadRules.Problems(HiddenSize, NumAttentionHeads, NumKeyValueHeads, HeadKeys.Llama)); // the spec's model: rules too
        RopeScaling?.Validate(c.Problems);
        c.ThrowIfAny();
        return this;
    }
}

/// <summary>An impossible model architecture; the message lists every problem and how to fix it.</summary>
public sealed class ModelConfigException(IReadOnlyList<string> problems)
    : ArgumentException("Invalid model configuration:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
