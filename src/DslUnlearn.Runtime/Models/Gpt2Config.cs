namespace DslUnlearn.Models;

/// <summary>Architecture of a GPT-2 decoder; names follow Hugging Face's GPT2Config (n_embd, n_layer, ...).</summary>
public sealed record Gpt2Config(
    int VocabSize,
    int NPositions,
    int NEmbd,
    int NLayer,
    int NHead,
    int? NInner = null,
    double LayerNormEpsilon = 1e-5,
    string ActivationFunction = "gelu_new",
    bool TieWordEmbeddings = true) : ICausalLMConfig
{
    public static readonly IReadOnlyList<string> SupportedActivations = ["gelu_new", "gelu_pytorch_tanh", "gelu"];

    public int HeadDim => NEmbd / NHead;
    /// <summary>Feed-forward width (n_inner, or 4 * n_embd when null as in Hugging Face).</summary>
    public int InnerSize => NInner ?? 4 * NEmbd;

    public string ModelType => "gpt2";
    public string Architecture => "GPT2LMHeadModel";
    int ICausalLMConfig.HiddenSize => NEmbd;
    int ICausalLMConfig.NumLayers => NLayer;
    int ICausalLMConfig.MaxPositions => NPositions;
    ICausalLMConfig ICausalLMConfig.ValidateConfig() => Validate();

    public Gpt2Config Validate()
    {
        var c = new ConfigChecks();
        c.Positive(VocabSize, "vocab_size");
        c.Positive(NPositions, "n_positions");
        c.Positive(NEmbd, "n_embd");
        c.Positive(NLayer, "n_layer");
        c.Positive(NHead, "n_head");
        if (NInner is int inner) c.Positive(inner, "n_inner");
        c.Positive(LayerNormEpsilon, "layer_norm_epsilon");
        c.Supported(ActivationFunction, SupportedActivations, "activation_function");
        c.Problems.AddRange(HeadRules.Gpt2Problems(NEmbd, NHead, HeadKeys.Gpt2)); // Models/HeadRules.cs
        c.ThrowIfAny();
        return this;
    }

    public static Gpt2Config FromJson(JsonElement root, string source = "config.json")
    {
        var j = new ConfigJson(root, source);
        if (!j.Bool("scale_attn_weights", true)) j.Problems.Add("scale_attn_weights = false is not supported.");
        if (j.Bool("scale_attn_by_inverse_layer_idx", false)) j.Problems.Add("scale_attn_by_inverse_layer_idx = true is not supported.");
        if (j.Bool("add_cross_attention", false)) j.Problems.Add("add_cross_attention = true is not supported (decoder-only models only).");
        var config = new Gpt2Config(
            VocabSize: j.Int("vocab_size"),
            NPositions: j.Int("n_positions", 1024),
            NEmbd: j.Int("n_embd", 768),
            NLayer: j.Int("n_layer", 12),
            NHead: j.Int("n_head", 12),
            NInner: j.Has("n_inner") ? j.Int("n_inner") : null,
            LayerNormEpsilon: j.Double("layer_norm_epsilon", 1e-5),
            ActivationFunction: j.String("activation_function") ?? "gelu_new",
            TieWordEmbeddings: j.Bool("tie_word_embeddings", true));
        j.ThrowIfProblems();
        return config.Validate();
    }

    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray(Architecture),
        ["model_type"] = ModelType,
        ["vocab_size"] = VocabSize,
        ["n_positions"] = NPositions,
        ["n_ctx"] = NPositions,
        ["n_embd"] = NEmbd,
        ["n_layer"] = NLayer,
        ["n_head"] = NHead,
        ["n_inner"] = NInner,
        ["layer_norm_epsilon"] = LayerNormEpsilon,
        ["activation_function"] = ActivationFunction,
        ["tie_word_embeddings"] = TieWordEmbeddings,
    };
}
