namespace DslUnlearn.Models;

/// <summary>
/// What the three families share: input checks, the ICausalLM plumbing, cloning, and the facts the
/// checkpoint loader needs (key prefix, tied head, keys that old checkpoints carry but that hold no weights).
/// Holds no submodules itself, so parameter names are exactly the family's Hugging Face keys.
/// </summary>
public abstract class CausalLMBase : nn.Module<Tensor, Tensor>, ICausalLM
{
    protected CausalLMBase(string name) : base(name) { }

    /// <summary>The architecture this model was built from.</summary>
    public abstract ICausalLMConfig ArchitectureConfig { get; }

    /// <summary>Prefix of the decoder keys ("model." or "transformer."); checkpoints saved from the bare decoder omit it.</summary>
    public abstract string BasePrefix { get; }

    /// <summary>The embedding key the head reuses when embeddings are tied ("model.embed_tokens.weight").</summary>
    public abstract string EmbeddingKey { get; }

    /// <summary>Checkpoint keys that carry no learned weight (old buffers) and are skipped on load.</summary>
    public virtual bool IsIgnorableCheckpointKey(string key) => false;

    public string Family => ArchitectureConfig.ModelType;
    public int VocabSize => ArchitectureConfig.VocabSize;
    public int HiddenSize => ArchitectureConfig.HiddenSize;
    public int NumLayers => ArchitectureConfig.NumLayers;
    public int MaxPositions => ArchitectureConfig.MaxPositions;
    public nn.Module Module => this;

    /// <summary>Recompute each decoder layer during the backward pass instead of storing its activations
    /// (finetune/unlearn option <c>gradient_checkpointing</c>); same gradients, less memory, one more forward.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Embeddings and decoder layers. Returns the embeddings and every layer's output when
    /// <paramref name="allStates"/>, else just the last layer's output (before the final norm).
    /// Called inside a dispose scope that the caller owns.
    /// </summary>
    /// <param name="upTo">Run only the first this many decoder layers; null = all of them.</param>
    protected abstract List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates, int? upTo = null);

    /// <summary>The family's final norm + LM head, on a hidden state in the model's dtype.</summary>
    protected abstract Tensor Head(Tensor hidden);

    /// <summary>The dtype of the weights (float32 unless the spec computes in 16-bit).</summary>
    public ScalarType WeightDtype => parameters().First().dtype;

    /// <summary>
    /// Final norm + LM head applied to a hidden state [.., hidden] (the logit lens). The hidden state is cast to
    /// the weights' dtype and the logits leave as float32, so every loss and metric reduces in float32.
    /// </summary>
    public Tensor ReadOut(Tensor hidden)
    {
        var dtype = WeightDtype;
        if (hidden.dtype == dtype && dtype == ScalarType.Float32) return Head(hidden);
        using var scope = torch.NewDisposeScope();
        var logits = Head(hidden.dtype == dtype ? hidden : hidden.to(dtype));
        return Torch.Precision.Float32(logits).MoveToOuterDisposeScope();
    }

    /// <summary>input_ids [batch, seq] (int64) -> logits [batch, seq, vocab].</summary>
    public override Tensor forward(Tensor inputIds) => Run(inputIds, null, null, false).Logits;

    public Tensor Logits(Tensor inputIds) => forward(inputIds);

    public CausalLMOutput Forward(Tensor inputIds, bool outputHiddenStates) => Run(inputIds, null, null, outputHiddenStates);

    public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache, bool outputHiddenStates) =>
        Run(inputIds, attentionMask, cache, outputHiddenStates);

    private CausalLMOutput Run(Tensor inputIds, Tensor? attentionMask, KvCache? cache, bool outputHiddenStates)
    {
        using var scope = torch.NewDisposeScope();
        CheckInput(inputIds, cache);
        var context = AttentionContext.Create(inputIds, attentionMask, cache);
        var states = Decode(inputIds, context, outputHiddenStates);
        var logits = ReadOut(states[^1]);
        // Hidden states leave as float32 too (RMU's and the probes' reductions); a float32 model returns them as they are.
        if (outputHiddenStates && states[0].dtype != ScalarType.Float32) states = states.Select(Torch.Precision.Float32).ToList();
        return new CausalLMOutput(logits, outputHiddenStates ? states : null).MoveToOuterDisposeScope();
    }

    /// <summary>The hidden states 0..<paramref name="layer"/> of <see cref="Forward(Tensor, Tensor?, KvCache?, bool)"/>, without
    /// running the layers after <paramref name="layer"/> or the head: the same ops on the same inputs, so the same bits as
    /// the full pass's first states (tests: ProbeTruncationTests).</summary>
    public IReadOnlyList<Tensor> HiddenStatesUpTo(Tensor inputIds, Tensor? attentionMask, KvCache? cache, int layer)
    {
        if (layer < 0 || layer > NumLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"hidden state {layer} does not exist in a model with {NumLayers} layers (0..{NumLayers}).");
        using var scope = torch.NewDisposeScope();
        CheckInput(inputIds, cache);
        var context = AttentionContext.Create(inputIds, attentionMask, cache);
        // With a cache, at least the first layer runs: the cache's length is read from it (a read-out of the embeddings
        // would otherwise leave the cache empty and the next step's mask would not match).
        var states = Decode(inputIds, context, allStates: true, upTo: cache is null ? layer : Math.Max(layer, 1));
        if (states.Count > layer + 1) states = states.Take(layer + 1).ToList();
        if (states[0].dtype != ScalarType.Float32) states = states.Select(Torch.Precision.Float32).ToList(); // as Run returns them
        foreach (var s in states) s.MoveToOuterDisposeScope();
        return states;
    }

    public ICausalLM Clone()
    {
        var device = parameters().First().device;
        var copy = (CausalLMBase)CausalLMFactory.Create(ArchitectureConfig, device);
        copy.to(parameters().First().dtype);
        copy.load_state_dict(state_dict());
        copy.train(training);
        copy.GradientCheckpointing = GradientCheckpointing;
        return copy;
    }

    /// <summary>Rejects inputs libtorch would fail on with an unhelpful (or fatal) native error.</summary>
    protected void CheckInput(Tensor ids, KvCache? cache)
    {
        if (ids.dim() != 2)
            throw new ArgumentException($"input_ids must have shape [batch, seq], got [{string.Join(", ", ids.shape)}].", nameof(ids));
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"input_ids must be int64 token ids, got {ids.dtype}.", nameof(ids));
        long past = cache?.SeqLength ?? 0;
        if (cache is not null && cache.NumLayers != NumLayers)
            throw new ArgumentException($"the KV cache has {cache.NumLayers} layers but the model has {NumLayers}.", nameof(cache));
        if (past + ids.shape[1] > MaxPositions)
            throw new ArgumentException(past == 0
                ? $"sequence length {ids.shape[1]} exceeds max_position_embeddings = {MaxPositions}; raise model.max_seq_len or shorten the data."
                : $"cached {past} + new {ids.shape[1]} positions exceed max_position_embeddings = {MaxPositions}; generate fewer new tokens or shorten the prompt.", nameof(ids));
        if (ids.numel() > 0)
        {
            long max = ids.max().item<long>(), min = ids.min().item<long>();
            if (min < 0 || max >= VocabSize)
                throw new ArgumentException($"token ids must lie in [0, {VocabSize}), got [{min}, {max}]: the tokenizer and the model's vocab_size disagree.", nameof(ids));
        }
    }
}
