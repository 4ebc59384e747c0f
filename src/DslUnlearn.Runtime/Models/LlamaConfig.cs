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
    double RmsNormEps = 1e-5)
{
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>
    /// Throws <see cref="ModelConfigException"/> listing every inconsistency. Runs before any tensor is
    /// allocated: an inconsistent shape reaching libtorch can abort the whole process instead of throwing.
    /// </summary>
    public LlamaConfig Validate()
    {
        var problems = new List<string>();
        void Positive(int value, string key) { if (value <= 0) problems.Add($"{key} = {value} must be positive."); }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(IntermediateSize, "intermediate_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (!(RopeTheta > 0)) problems.Add($"rope_theta = {RopeTheta} must be positive.");
        if (!(RmsNormEps > 0)) problems.Add($"rms_norm_eps = {RmsNormEps} must be positive.");
        if (NumAttentionHeads > 0 && HiddenSize > 0)
        {
            if (HiddenSize % NumAttentionHeads != 0)
                problems.Add($"hidden_size = {HiddenSize} is not divisible by num_attention_heads = {NumAttentionHeads}; choose a multiple (e.g. {NumAttentionHeads * Math.Max(1, HiddenSize / NumAttentionHeads)}).");
            else if (HeadDim % 2 != 0)
                problems.Add($"head dimension hidden_size / num_attention_heads = {HeadDim} must be even for rotary embeddings.");
        }
        if (NumKeyValueHeads > 0 && NumAttentionHeads > 0 && NumAttentionHeads % NumKeyValueHeads != 0)
            problems.Add($"num_attention_heads = {NumAttentionHeads} is not divisible by num_key_value_heads = {NumKeyValueHeads}.");
        if (problems.Count > 0) throw new ModelConfigException(problems);
        return this;
    }
}

/// <summary>An impossible model architecture; the message lists every problem and how to fix it.</summary>
public sealed class ModelConfigException(IReadOnlyList<string> problems)
    : ArgumentException("Invalid model configuration:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
