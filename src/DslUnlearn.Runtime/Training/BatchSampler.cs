using DslUnlearn.Data;

namespace DslUnlearn.Training;

/// <summary>Seeded epoch-wise shuffling; endless when used with <see cref="NextBatch"/>.</summary>
public sealed class BatchSampler(IReadOnlyList<EncodedQa> rows, int batchSize, SplitMix64 rng)
{
    /// <summary>Where <see cref="NextBatch"/> stands: RNG state, current order and cursor (for checkpoints).</summary>
    public sealed record State(ulong Rng, int[] Order, int Cursor);

    public State Save() => new(rng.State, _order.ToArray(), _cursor);

    /// <summary>A sampler that continues exactly where <paramref name="state"/> was saved.</summary>
    public static BatchSampler Restore(IReadOnlyList<EncodedQa> rows, int batchSize, State state)
    {
        var sampler = new BatchSampler(rows, batchSize, new SplitMix64(state.Rng));
        sampler._order.AddRange(state.Order);
        sampler._cursor = state.Cursor;
        return sampler;
    }

    private readonly List<int> _order = [];
    private int _cursor;

    public int BatchesPerEpoch => (rows.Count + batchSize - 1) / batchSize;

    /// <summary>All batches of one freshly shuffled epoch (the last one may be short).</summary>
    public IEnumerable<EncodedQa[]> Epoch()
    {
        var order = Enumerable.Range(0, rows.Count).ToList();
        rng.Shuffle(order);
        for (int i = 0; i < order.Count; i += batchSize)
            yield return order.Skip(i).Take(batchSize).Select(j => rows[j]).ToArray();
    }

    /// <summary>Next full-size batch, cycling through reshuffled epochs (for step-based unlearning).</summary>
    public EncodedQa[] NextBatch()
    {
        var batch = new EncodedQa[Math.Min(batchSize, rows.Count)];
        for (int i = 0; i < batch.Length; i++)
        {
            if (_cursor == _order.Count)
            {
                _order.Clear();
                _order.AddRange(Enumerable.Range(0, rows.Count));
                rng.Shuffle(_order);
                _cursor = 0;
            }
            batch[i] = rows[_order[_cursor++]];
        }
        return batch;
    }
}
