namespace DslUnlearn.Models;

/// <summary>
/// An <see cref="ICausalLM"/> that forwards every member to <see cref="Inner"/>, so that a wrapper states only what
/// it adds (owning other models, recording its clones) and a member added to ICausalLM is forwarded in one place.
/// Disposing disposes Inner; a subclass that owns more overrides <see cref="Dispose"/>.
/// </summary>
public abstract class ForwardingCausalLM(ICausalLM inner) : ICausalLM
{
    public ICausalLM Inner => inner;
    public string Family => inner.Family;
    public int VocabSize => inner.VocabSize;
    public int HiddenSize => inner.HiddenSize;
    public int NumLayers => inner.NumLayers;
    public int MaxPositions => inner.MaxPositions;
    public nn.Module Module => inner.Module;
    public Tensor Logits(Tensor inputIds) => inner.Logits(inputIds);
    public CausalLMOutput Forward(Tensor inputIds, bool outputHiddenStates) => inner.Forward(inputIds, outputHiddenStates);
    public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache, bool outputHiddenStates)
        => inner.Forward(inputIds, attentionMask, cache, outputHiddenStates);
    public KvCache NewKvCache() => inner.NewKvCache();
    public IReadOnlyList<Tensor> HiddenStatesUpTo(Tensor inputIds, Tensor? attentionMask, KvCache? cache, int layer)
        => inner.HiddenStatesUpTo(inputIds, attentionMask, cache, layer);
    public Tensor ReadOut(Tensor hidden) => inner.ReadOut(hidden);
    public virtual ICausalLM Clone() => inner.Clone();
    public virtual void Dispose() => inner.Dispose();
}
