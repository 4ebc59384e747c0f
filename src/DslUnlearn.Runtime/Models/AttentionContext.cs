namespace DslUnlearn.Models;

/// <summary>
/// What every attention layer of one forward pass needs to know besides its input: the position id of
/// each new token, which keys each query may see, and the KV cache (if any).
/// </summary>
/// <param name="Positions">[batch, new] int64 position ids (left-padded rows start at 0 on their first real token).</param>
/// <param name="Mask">[batch, 1, new, past + new] boolean, true = may attend; null means plain causal attention
/// over the new tokens only (no padding, no cache), which takes libtorch's is_causal fast path.</param>
/// <param name="Cache">Where layers append and read keys/values, or null.</param>
public sealed record AttentionContext(Tensor Positions, Tensor? Mask, KvCache? Cache)
{
    /// <summary>
    /// Builds the context inside the caller's dispose scope. <paramref name="attentionMask"/> follows Hugging
    /// Face: [batch, past + new], 1 for real tokens and 0 for padding, covering the cached positions too.
    /// </summary>
    public static AttentionContext Create(Tensor inputIds, Tensor? attentionMask, KvCache? cache)
    {
        long b = inputIds.shape[0], t = inputIds.shape[1];
        long past = cache?.SeqLength ?? 0;
        var device = inputIds.device;
        if (cache is not null && past > 0 && cache.BatchSize != b)
            throw new ArgumentException($"the KV cache holds {cache.BatchSize} rows but input_ids has {b}; use one cache per batch.");
        if (attentionMask is null && past == 0)
        {
            using Scalar end = t; // held: the one-argument overload would make its start and step itself
            return new AttentionContext(torch.arange(Torch.HeldScalars.ZeroInt, end, Torch.HeldScalars.OneInt, dtype: int64, device: device).unsqueeze(0).expand(b, t), null, cache);
        }

        Tensor keep;
        if (attentionMask is null) keep = torch.ones(b, past + t, dtype: ScalarType.Bool, device: device);
        else
        {
            if (attentionMask.dim() != 2 || attentionMask.shape[0] != b || attentionMask.shape[1] != past + t)
                throw new ArgumentException(
                    $"attention_mask must have shape [batch, past + new] = [{b}, {past + t}] (it covers the cached positions too), got [{string.Join(", ", attentionMask.shape)}].");
            keep = attentionMask.to(device).ne(Torch.HeldScalars.ZeroInt);
        }
        // Position of a token = number of real tokens before it (Hugging Face: cumsum(mask) - 1).
        // Held integer Scalars: this runs at every generation step, and temporary ones crashed it ("toDouble", clamp_min).
        var positions = keep.to(int64).cumsum(1).add(Torch.HeldScalars.MinusOneInt, Torch.HeldScalars.OneInt).clamp_min(Torch.HeldScalars.ZeroInt).narrow(1, past, t);
        using Scalar first = past, stop = past + t;
        var queryPos = torch.arange(first, stop, Torch.HeldScalars.OneInt, dtype: int64, device: device).view(t, 1);
        var keyPos = torch.arange(Torch.HeldScalars.ZeroInt, stop, Torch.HeldScalars.OneInt, dtype: int64, device: device).view(1, past + t);
        var causal = keyPos.le(queryPos);                                     // [new, past + new]
        var mask = causal.unsqueeze(0).logical_and(keep.unsqueeze(1));        // [batch, new, past + new]
        // A padding query sees no real key; let it see itself so softmax stays finite (its output is never used).
        var self = keyPos.eq(queryPos).unsqueeze(0);
        mask = mask.logical_or(self).unsqueeze(1);                            // [batch, 1, new, past + new]
        return new AttentionContext(positions, mask, cache);
    }

    /// <summary>Attention over (cached +) new keys, with grouped-query heads repeated as needed.</summary>
    /// <param name="q">[batch, heads, new, head_dim]</param>
    /// <param name="k">[batch, kv_heads, new, head_dim] (already rotated)</param>
    /// <param name="v">[batch, kv_heads, new, head_dim]</param>
    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v)
    {
        if (Cache is not null) (k, v) = Cache.Append(layer, k, v);
        long heads = q.shape[1], kvHeads = k.shape[1];
        if (kvHeads != heads)
        {
            long groups = heads / kvHeads;
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        if (WrittenOut) return WrittenOutAttention(q, k, v, Mask);
        return Mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: Mask);
    }

    /// <summary>Equality tests and the attention benchmark: compute <see cref="Attend"/> written out instead of with
    /// libtorch's fused kernel (per thread).</summary>
    [ThreadStatic] internal static bool WrittenOut;

    /// <summary>softmax(q kᵀ / √d, masked) v with the [new, past + new] scores materialised; <paramref name="mask"/> is
    /// boolean, true = may attend (broadcast over heads), null = causal over the new tokens.</summary>
    public static Tensor WrittenOutAttention(Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        long t = q.shape[^2], s = k.shape[^2];
        var scores = Torch.HeldScalars.Over(Torch.SafeOps.MatMul(q, k.transpose(-2, -1), "attention scores"), Math.Sqrt(q.shape[^1]));
        var allowed = mask ?? torch.ones(t, s, dtype: ScalarType.Bool, device: q.device).tril(s - t);
        scores = scores.masked_fill(allowed.logical_not(), Torch.HeldScalars.NegativeInfinity);
        return Torch.SafeOps.MatMul(nn.functional.softmax(scores, -1), v, "attention output").MoveToOuterDisposeScope();
    }
}
