namespace DslUnlearn.Models;

/// <summary>Logits plus, on request, the hidden states (Hugging Face convention: index 0 = embeddings,
/// index i = output of decoder layer i, the last one before the final norm).</summary>
public sealed class CausalLMOutput(Tensor logits, IReadOnlyList<Tensor>? hiddenStates) : IDisposable
{
    public Tensor Logits { get; } = logits;
    public IReadOnlyList<Tensor>? HiddenStates { get; } = hiddenStates;

    /// <summary>Moves every tensor to the enclosing dispose scope (call inside a scope, like MoveToOuterDisposeScope).</summary>
    public CausalLMOutput MoveToOuterDisposeScope()
    {
        Logits.MoveToOuterDisposeScope();
        if (HiddenStates is not null) foreach (var h in HiddenStates) h.MoveToOuterDisposeScope();
        return this;
    }

    public void Dispose()
    {
        Logits.Dispose();
        if (HiddenStates is not null) foreach (var h in HiddenStates) h.Dispose();
    }
}

/// <summary>
/// A decoder-only causal language model, whatever its family (Llama, GPT-2, Phi). Methods, metrics,
/// attacks and calibration are written against this, never against a concrete family.
/// </summary>
public interface ICausalLM : IDisposable
{
    /// <summary>Family name as in Hugging Face's model_type ("llama", "gpt2", "phi").</summary>
    string Family { get; }
    int VocabSize { get; }
    int HiddenSize { get; }
    int NumLayers { get; }
    int MaxPositions { get; }

    /// <summary>The TorchSharp module (parameters, state_dict, train/eval, to(device)).</summary>
    nn.Module Module { get; }

    /// <summary>input_ids [batch, seq] int64 -> logits [batch, seq, vocab]. Inputs are validated first.</summary>
    Tensor Logits(Tensor inputIds);

    /// <summary>Logits and, when <paramref name="outputHiddenStates"/>, the NumLayers + 1 hidden states.</summary>
    CausalLMOutput Forward(Tensor inputIds, bool outputHiddenStates);

    /// <summary>
    /// Forward pass for batched generation (added for issue 4; the other members are unchanged).
    /// <paramref name="attentionMask"/> is [batch, past + seq] with 1 for real tokens and 0 for (left) padding,
    /// Hugging Face's convention; positions count real tokens only, so a left-padded row computes what it
    /// would alone. <paramref name="cache"/> receives this call's keys/values and supplies the earlier ones.
    /// Families that do not implement it support only the plain call (both null).
    /// </summary>
    CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache, bool outputHiddenStates)
    {
        if (attentionMask is null && cache is null) return Forward(inputIds, outputHiddenStates);
        throw new NotSupportedException($"model family '{Family}' does not support attention masks or a KV cache; use one of the built-in families (llama, gpt2, phi).");
    }

    /// <summary>An empty KV cache for <see cref="Forward(Tensor, Tensor?, KvCache?, bool)"/>: one slot per decoder layer of the
    /// model (a view that reads out an earlier layer has its base's slots, and fills those of the layers it runs).</summary>
    KvCache NewKvCache() => new(NumLayers);

    /// <summary>
    /// Hidden states 0..<paramref name="layer"/> (embeddings, then each layer's output up to that one) of the pass
    /// <see cref="Forward(Tensor, Tensor?, KvCache?, bool)"/> would run: what a read-out at an intermediate layer needs.
    /// The built-in families stop after <paramref name="layer"/> (a cache then holds only those layers); this default
    /// runs the whole pass and drops the rest. Same bits either way.
    /// </summary>
    IReadOnlyList<Tensor> HiddenStatesUpTo(Tensor inputIds, Tensor? attentionMask, KvCache? cache, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var output = attentionMask is null && cache is null
            ? Forward(inputIds, outputHiddenStates: true)
            : Forward(inputIds, attentionMask, cache, outputHiddenStates: true); // its logits die with the scope
        var states = output.HiddenStates!.Take(layer + 1).ToList();
        foreach (var s in states) s.MoveToOuterDisposeScope();
        return states;
    }

    /// <summary>Final norm + LM head applied to a hidden state [.., hidden] (the logit lens).</summary>
    Tensor ReadOut(Tensor hidden);

    /// <summary>A new model with the same architecture and a copy of the weights, on the same device.</summary>
    ICausalLM Clone();

    /// <summary>Recompute each decoder layer in the backward pass instead of storing its activations (the built-in
    /// families support it; other implementations only accept false).</summary>
    bool GradientCheckpointing
    {
        get => false;
        set { if (value) throw new NotSupportedException($"model family '{Family}' does not support gradient checkpointing; use one of the built-in families (llama, gpt2, phi)."); }
    }
}
