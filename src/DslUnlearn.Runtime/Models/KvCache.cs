namespace DslUnlearn.Models;

/// <summary>
/// Keys and values of every decoder layer for the positions already processed, so each generation step
/// runs the model on the new token only. The cache owns its tensors: they live outside every dispose
/// scope and are freed by <see cref="Dispose"/> (or replaced, the old ones freed, on each append).
/// Keys are stored after rotary embedding and before grouped-query repetition, shape [batch, kv_heads, seq, head_dim].
/// Use it under <c>torch.no_grad()</c>: it keeps no autograd history on purpose.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys, _values;
    private bool _disposed;

    public KvCache(int numLayers)
    {
        if (numLayers <= 0) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, "a KV cache needs at least one layer.");
        _keys = new Tensor?[numLayers];
        _values = new Tensor?[numLayers];
    }

    public int NumLayers => _keys.Length;

    /// <summary>Number of positions cached so far (0 before the first forward pass).</summary>
    public long SeqLength => _keys[0]?.shape[2] ?? 0;

    /// <summary>Batch size of the cached rows, or null while empty.</summary>
    public long? BatchSize => _keys[0]?.shape[0];

    /// <summary>
    /// Appends the new positions' keys and values of <paramref name="layer"/> ([batch, kv_heads, new, head_dim])
    /// and returns the full keys and values. The returned tensors belong to the cache: do not dispose them.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)layer >= (uint)_keys.Length)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"the cache has {_keys.Length} layers.");
        _keys[layer] = Concat(_keys[layer], keys);
        _values[layer] = Concat(_values[layer], values);
        return (_keys[layer]!, _values[layer]!);
    }

    private static Tensor Concat(Tensor? old, Tensor add)
    {
        Tensor next;
        using (torch.no_grad())
            next = old is null ? add.detach().clone() : torch.cat([old, add.detach()], dim: 2);
        next.DetachFromDisposeScope();
        old?.Dispose();
        return next;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose(); _keys[i] = null;
            _values[i]?.Dispose(); _values[i] = null;
        }
    }
}
