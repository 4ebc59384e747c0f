using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DslUnlearn.Models;

/// <summary>Decoder stack: embed_tokens -> layers -> norm (Hugging Face's LlamaModel, key prefix "model.").</summary>
public sealed class LlamaModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly LlamaConfig _config;

    public LlamaModel(LlamaConfig c) : base(nameof(LlamaModel))
    {
        _config = c;
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) layers.Add(new LlamaDecoderLayer(c));
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>input_ids [batch, seq] (int64) -> final hidden states [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        var (cos, sin) = Rotary.Tables(inputIds.shape[1], _config.HeadDim, _config.RopeTheta, inputIds.device);
        var h = embed_tokens.forward(inputIds);
        foreach (var layer in layers) h = layer.forward(h, cos, sin);
        return norm.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>Pre-norm hidden states: embeddings, then the output of each layer (NumLayers + 1 tensors).</summary>
    public List<Tensor> HiddenStates(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        var (cos, sin) = Rotary.Tables(inputIds.shape[1], _config.HeadDim, _config.RopeTheta, inputIds.device);
        var states = new List<Tensor> { embed_tokens.forward(inputIds) };
        foreach (var layer in layers) states.Add(layer.forward(states[^1], cos, sin));
        foreach (var s in states) s.MoveToOuterDisposeScope();
        return states;
    }

    public Tensor Norm(Tensor hidden) => norm.forward(hidden);
}

/// <summary>Llama-style causal language model: model + untied lm_head. State-dict keys match Hugging Face.</summary>
public sealed class LlamaForCausalLM : nn.Module<Tensor, Tensor>, ICausalLM
{
    private readonly LlamaModel model;
    private readonly Linear lm_head;

    public LlamaConfig Config { get; }

    /// <summary>Builds the model after validating <paramref name="config"/> (no tensor is allocated for a bad one).</summary>
    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM))
    {
        Config = config.Validate();
        model = new LlamaModel(config);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>input_ids [batch, seq] (int64) -> logits [batch, seq, vocab] (float32).</summary>
    public override Tensor forward(Tensor inputIds)
    {
        CheckInput(inputIds);
        using var scope = torch.NewDisposeScope();
        return lm_head.forward(model.forward(inputIds)).MoveToOuterDisposeScope();
    }

    public string Family => "llama";
    public int VocabSize => Config.VocabSize;
    public int HiddenSize => Config.HiddenSize;
    public int NumLayers => Config.NumHiddenLayers;
    public int MaxPositions => Config.MaxPositionEmbeddings;
    public nn.Module Module => this;

    public Tensor Logits(Tensor inputIds) => forward(inputIds);

    public CausalLMOutput Forward(Tensor inputIds, bool outputHiddenStates)
    {
        if (!outputHiddenStates) return new CausalLMOutput(forward(inputIds), null);
        CheckInput(inputIds);
        using var scope = torch.NewDisposeScope();
        var states = model.HiddenStates(inputIds);
        var logits = ReadOut(states[^1]);
        return new CausalLMOutput(logits, states).MoveToOuterDisposeScope();
    }

    public Tensor ReadOut(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        return lm_head.forward(model.Norm(hidden)).MoveToOuterDisposeScope();
    }

    public ICausalLM Clone()
    {
        var copy = new LlamaForCausalLM(Config);
        var device = parameters().First().device;
        copy.to(device);
        copy.load_state_dict(state_dict());
        copy.train(training);
        return copy;
    }

    /// <summary>Rejects inputs libtorch would fail on with an unhelpful (or fatal) native error.</summary>
    private void CheckInput(Tensor ids)
    {
        if (ids.dim() != 2)
            throw new ArgumentException($"input_ids must have shape [batch, seq], got [{string.Join(", ", ids.shape)}].", nameof(ids));
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"input_ids must be int64 token ids, got {ids.dtype}.", nameof(ids));
        if (ids.shape[1] > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"sequence length {ids.shape[1]} exceeds max_position_embeddings = {Config.MaxPositionEmbeddings}; raise model.max_seq_len or shorten the data.", nameof(ids));
        if (ids.numel() > 0)
        {
            long max = ids.max().item<long>(), min = ids.min().item<long>();
            if (min < 0 || max >= Config.VocabSize)
                throw new ArgumentException($"token ids must lie in [0, {Config.VocabSize}), got [{min}, {max}]: the tokenizer and the model's vocab_size disagree.", nameof(ids));
        }
    }
}
