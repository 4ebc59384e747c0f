namespace DslUnlearn.Models;

/// <summary>
/// Named architectures for benchmarks and tests: cheap to build, nothing to download. The benchmark
/// measures throughput itself; these only fix the shapes so every measurement uses the same model.
/// </summary>
public static class ModelPresets
{
    /// <summary>The issue's benchmark model: Llama-style, 4 layers, hidden 256, 4 heads, vocab 4096.</summary>
    public static LlamaConfig BenchLlama(int vocabSize = 4096, int maxPositions = 512) =>
        new(vocabSize, HiddenSize: 256, NumHiddenLayers: 4, NumAttentionHeads: 4, NumKeyValueHeads: 4,
            IntermediateSize: 688, MaxPositionEmbeddings: maxPositions);

    /// <summary>Tiny configs of each family (hidden 32, 2 layers) for quick checks.</summary>
    public static ICausalLMConfig Tiny(string modelType, int vocabSize = 64, int maxPositions = 128) => modelType switch
    {
        "llama" => new LlamaConfig(vocabSize, 32, 2, 4, 2, 64, maxPositions),
        "gpt2" => new Gpt2Config(vocabSize, maxPositions, 32, 2, 4),
        "phi" => new PhiConfig(vocabSize, 32, 2, 4, 64, maxPositions),
        _ => throw new ArgumentException($"unknown model_type '{modelType}'; known: {string.Join(", ", CausalLMFactory.SupportedModelTypes)}.", nameof(modelType)),
    };

    /// <summary>A model with seeded random weights (same seed, same weights), in eval mode.</summary>
    public static ICausalLM Random(ICausalLMConfig config, int seed = 0, Device? device = null)
    {
        torch.manual_seed(seed);
        var model = CausalLMFactory.Create(config, device);
        model.Module.eval();
        return model;
    }

    /// <summary>Seeded random token ids [batch, seq] in [0, vocabSize), for throughput measurements.</summary>
    public static Tensor RandomTokens(int batch, int seq, int vocabSize, int seed = 0, Device? device = null)
    {
        var generator = new torch.Generator((ulong)seed);
        var ids = torch.randint(0, vocabSize, [batch, seq], dtype: int64, generator: generator);
        return device is null ? ids : ids.to(device);
    }
}
