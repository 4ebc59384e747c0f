namespace DslUnlearn.Tests.Models;

/// <summary>Random tiny models of every family, for fast tests.</summary>
internal static class TinyModels
{
    public const int Vocab = 40;

    public static readonly LlamaConfig Llama = new(Vocab, HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 4,
        NumKeyValueHeads: 2, IntermediateSize: 48, MaxPositionEmbeddings: 64);

    /// <summary>Llama with every option switched on: tied head, attention bias, llama3 rope scaling.</summary>
    public static readonly LlamaConfig LlamaVariant = Llama with
    {
        TieWordEmbeddings = true, AttentionBias = true, RopeTheta = 500000,
        RopeScaling = new RopeScaling("llama3", 8.0, 1.0, 4.0, 32),
    };

    public static readonly Gpt2Config Gpt2 = new(Vocab, NPositions: 64, NEmbd: 32, NLayer: 2, NHead: 4);

    public static readonly PhiConfig Phi = new(Vocab, HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 4,
        IntermediateSize: 64, MaxPositionEmbeddings: 64);

    public static readonly IReadOnlyDictionary<string, ICausalLMConfig> All = new Dictionary<string, ICausalLMConfig>
    {
        ["llama"] = Llama, ["llama-variant"] = LlamaVariant, ["gpt2"] = Gpt2, ["phi"] = Phi,
    };

    public static TheoryData<string> Names => new(All.Keys);

    /// <summary>A model with random weights; biases and norms are randomised too so every parameter matters.</summary>
    public static ICausalLM Create(string name, int seed = 1)
    {
        torch.manual_seed(seed);
        var model = CausalLMFactory.Create(All[name]);
        using (torch.no_grad())
            foreach (var (n, p) in model.Module.named_parameters())
                if (p.dim() == 1) p.add_(torch.randn_like(p) * 0.1);
        model.Module.eval();
        return model;
    }

    public static Tensor RandomIds(int batch, int seq, int seed = 3)
    {
        var g = new torch.Generator((ulong)seed);
        return torch.randint(0, Vocab, [batch, seq], dtype: int64, generator: g);
    }

    /// <summary><paramref name="count"/> seeded prompts of 1..<paramref name="maxLength"/> token ids, none of them the pad id 0.</summary>
    public static int[][] Prompts(int count, int seed, int maxLength)
    {
        var rng = new DslUnlearn.Data.SplitMix64((ulong)seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 1 + rng.Next(maxLength)).Select(_ => 1 + rng.Next(Vocab - 1)).ToArray()).ToArray();
    }
}
