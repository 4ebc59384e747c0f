using System.Text.Json;
using System.Text.Json.Nodes;

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
        var problems = new List<string>();
        void Positive(int value, string key) { if (value <= 0) problems.Add($"{key} = {value} must be positive."); }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(KvHeads, "num_key_value_heads");
        Positive(IntermediateSize, "intermediate_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (!(RopeTheta > 0)) problems.Add($"rope_theta = {RopeTheta} must be positive.");
        if (!(LayerNormEps > 0)) problems.Add($"layer_norm_eps = {LayerNormEps} must be positive.");
        if (!Gpt2Config.SupportedActivations.Contains(HiddenAct))
            problems.Add($"hidden_act = \"{HiddenAct}\" is not supported; supported: {string.Join(", ", Gpt2Config.SupportedActivations)}.");
        if (!(PartialRotaryFactor > 0 && PartialRotaryFactor <= 1))
            problems.Add($"partial_rotary_factor = {PartialRotaryFactor} must lie in (0, 1].");
        if (NumAttentionHeads > 0 && HiddenSize > 0)
        {
            if (HiddenSize % NumAttentionHeads != 0)
                problems.Add($"hidden_size = {HiddenSize} is not divisible by num_attention_heads = {NumAttentionHeads}.");
            else if (RotaryDim < 2 || RotaryDim % 2 != 0)
                problems.Add($"rotary dimension int(head_dim {HeadDim} * partial_rotary_factor {PartialRotaryFactor}) = {RotaryDim} must be even and >= 2.");
        }
        if (KvHeads > 0 && NumAttentionHeads > 0 && NumAttentionHeads % KvHeads != 0)
            problems.Add($"num_attention_heads = {NumAttentionHeads} is not divisible by num_key_value_heads = {KvHeads}.");
        RopeScaling?.Validate(problems);
        if (problems.Count > 0) throw new ModelConfigException(problems);
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
