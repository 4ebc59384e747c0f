namespace DslUnlearn.Tests;

/// <summary>
/// The reference greedy decoder of the tests: no KV cache, every step runs the whole sequence again (quadratic
/// in the generated length). The runtime generates with the batched KV-cache Generation/GreedyGenerator (through
/// Metrics/Generations); GenerationRoutingTests prove the two agree token for token on every model family.
/// Batches are right-padded: under the causal mask a real token never attends to the pads after it, so the
/// next-token logits at each row's last real position are exactly those of the row alone.
/// </summary>
public static class GreedyDecoder
{
    /// <summary>
    /// Greedy continuation of each prompt: up to <paramref name="maxNewTokens"/> tokens, stopping a row at
    /// <paramref name="eosId"/> (not included in the result) or when the model's context is full.
    /// </summary>
    public static int[][] Generate(ICausalLM model, IReadOnlyList<int[]> prompts, int maxNewTokens, int? eosId, int padId,
        Device device, int batchSize = 32)
    {
        if (maxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, "max new tokens must be >= 0.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1.");
        for (int i = 0; i < prompts.Count; i++)
            if (prompts[i].Length == 0) throw new ArgumentException($"prompt {i} is empty: greedy decoding needs at least one token to condition on.", nameof(prompts));
        var outputs = new int[prompts.Count][];
        var module = model.Module;
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var _ = torch.no_grad();
            for (int start = 0; start < prompts.Count; start += batchSize)
            {
                int count = Math.Min(batchSize, prompts.Count - start);
                var seqs = new List<int>[count];
                var generated = new List<int>[count];
                var done = new bool[count];
                for (int r = 0; r < count; r++)
                {
                    seqs[r] = [.. prompts[start + r]];
                    generated[r] = [];
                    done[r] = maxNewTokens == 0 || seqs[r].Count >= model.MaxPositions;
                }
                for (int step = 0; step < maxNewTokens; step++)
                {
                    var active = Enumerable.Range(0, count).Where(r => !done[r]).ToArray();
                    if (active.Length == 0) break;
                    var next = NextTokens(model, active.Select(r => seqs[r]).ToArray(), padId, device);
                    for (int a = 0; a < active.Length; a++)
                    {
                        int r = active[a];
                        int token = next[a];
                        if (eosId is { } eos && token == eos) { done[r] = true; continue; }
                        seqs[r].Add(token);
                        generated[r].Add(token);
                        if (seqs[r].Count >= model.MaxPositions) done[r] = true;
                    }
                }
                for (int r = 0; r < count; r++) outputs[start + r] = generated[r].ToArray();
            }
        }
        finally
        {
            if (wasTraining) module.train();
        }
        return outputs;
    }

    /// <summary>Argmax of the next-token logits of each (unpadded) sequence, in one right-padded forward pass.</summary>
    public static int[] NextTokens(ICausalLM model, IReadOnlyList<List<int>> sequences, int padId, Device device)
    {
        using var scope = torch.NewDisposeScope();
        int rows = sequences.Count, width = sequences.Max(s => s.Count);
        var ids = new long[rows * width];
        Array.Fill(ids, (long)padId);
        var last = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < sequences[r].Count; t++) ids[r * width + t] = sequences[r][t];
            last[r] = sequences[r].Count - 1;
        }
        var input = torch.tensor(ids, [rows, width], dtype: int64, device: device);
        var logits = model.Logits(input);
        long vocab = logits.shape[2];
        var index = torch.tensor(last, [rows, 1, 1], dtype: int64, device: device).expand(rows, 1, vocab);
        var picked = logits.gather(1, index).squeeze(1).argmax(-1).cpu().data<long>().ToArray();
        return picked.Select(v => (int)v).ToArray();
    }
}
