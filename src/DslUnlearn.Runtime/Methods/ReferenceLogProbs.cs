using System.Security.Cryptography;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Training;

namespace DslUnlearn.Methods;

/// <summary>
/// The frozen reference's per-token NLL on every forget batch a run will draw, computed before the first step, so
/// methods that use the reference only there (NPO, NPO+GD) train without the reference model in memory. The
/// values are those of the same call on the same batch (<see cref="Losses.ReferenceTokens"/>), so results are
/// bit-identical to a run that keeps the reference; the table holds [batch, seq] floats per batch, not weights.
/// </summary>
public sealed class ReferenceLogProbs : IDisposable
{
    private readonly Dictionary<string, TokenLosses> _table = new(StringComparer.Ordinal);

    public int Count => _table.Count;

    /// <summary>
    /// Replays <paramref name="sampler"/> (a copy; the caller's is not advanced) for <paramref name="batches"/>
    /// forget batches and stores the reference's per-token NLL at <paramref name="temperature"/> for each, and at
    /// temperature 1 for the batches <paramref name="derived"/> builds from (batch number, forget rows), e.g. DPO's IdK
    /// batches.
    /// </summary>
    public static ReferenceLogProbs Precompute(ICausalLM reference, BatchSampler sampler, int batches, Device device, int padId, double temperature,
        Func<int, IReadOnlyList<EncodedQa>, IEnumerable<TokenBatch>>? derived = null)
    {
        var table = new ReferenceLogProbs();
        try
        {
            for (int i = 0; i < batches; i++)
            {
                using var scope = torch.NewDisposeScope();
                var rows = sampler.NextBatch();
                using var batch = TokenBatch.Collate(rows, device, padId);
                table.Add(reference, batch, temperature);
                if (derived is null) continue;
                foreach (var extra in derived(i, rows))
                    using (extra) table.Add(reference, extra, 1.0);
            }
            return table;
        }
        catch
        {
            table.Dispose();
            throw;
        }
    }

    private void Add(ICausalLM reference, TokenBatch batch, double temperature)
    {
        string key = Key(batch, temperature);
        if (_table.ContainsKey(key)) return;
        var t = Losses.ReferenceTokens(reference, batch, temperature);
        _table[key] = new TokenLosses(t.Nll.DetachFromDisposeScope(), t.Mask.DetachFromDisposeScope());
    }

    /// <summary>The stored values for this batch, or null when it was not precomputed. The tensors belong to the table.</summary>
    public TokenLosses? Find(TokenBatch batch, double temperature) => _table.GetValueOrDefault(Key(batch, temperature));

    /// <summary>What identifies a batch: its token ids and labels (shape included) and the temperature.</summary>
    private static string Key(TokenBatch batch, double temperature)
    {
        using var ids = batch.InputIds.cpu();
        using var labels = batch.Labels.cpu();
        var bytes = new List<byte>();
        foreach (var d in batch.InputIds.shape) bytes.AddRange(BitConverter.GetBytes(d));
        bytes.AddRange(BitConverter.GetBytes(temperature));
        foreach (var v in ids.data<long>()) bytes.AddRange(BitConverter.GetBytes(v));
        foreach (var v in labels.data<long>()) bytes.AddRange(BitConverter.GetBytes(v));
        return Convert.ToHexString(SHA256.HashData(bytes.ToArray()));
    }

    public void Dispose()
    {
        foreach (var t in _table.Values) { t.Nll.Dispose(); t.Mask.Dispose(); }
        _table.Clear();
    }
}
