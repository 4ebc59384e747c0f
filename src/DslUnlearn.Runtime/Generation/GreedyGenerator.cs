using DslUnlearn.Models;

namespace DslUnlearn.Generation;

/// <summary>Settings of greedy decoding.</summary>
/// <param name="MaxNewTokens">Upper bound of generated tokens per prompt.</param>
/// <param name="EosId">Generation of a row stops after this token (not included in the result); null never stops early.</param>
/// <param name="PadId">Id used for left padding (masked out, so any valid id works).</param>
/// <param name="UseCache">Reuse keys/values across steps (a KV cache); false recomputes the whole prefix each step.</param>
/// <param name="BatchSize">Prompts decoded together (left-padded to the longest of the batch).</param>
public sealed record GenerationOptions(int MaxNewTokens, int? EosId, int PadId = 0, bool UseCache = true, int BatchSize = 16);

/// <summary>One prompt's continuation: the generated ids (EOS excluded) and whether EOS ended it.</summary>
public sealed record GeneratedSequence(int[] Tokens, bool StoppedAtEos);

/// <summary>
/// Batched greedy decoding. Prompts are left-padded so every row's next token sits in the last column; the
/// attention mask hides the pads and position ids count real tokens only, so each row computes what it
/// would alone. With <see cref="GenerationOptions.UseCache"/> each step feeds only the new token and reads
/// earlier keys/values from a <see cref="KvCache"/>.
/// </summary>
public static class GreedyGenerator
{
    public static IReadOnlyList<GeneratedSequence> Generate(ICausalLM model, IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        if (options.MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxNewTokens, "max_new_tokens must be >= 0.");
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "batch_size must be positive.");
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Length == 0) throw new ArgumentException($"prompt {i} is empty; greedy decoding needs at least one token (e.g. BOS).", nameof(prompts));
            if (prompts[i].Length + options.MaxNewTokens > model.MaxPositions)
                throw new ArgumentException($"prompt {i} has {prompts[i].Length} tokens; with max_new_tokens = {options.MaxNewTokens} it exceeds the model's {model.MaxPositions} positions. Lower max_new_tokens or shorten the prompt.", nameof(prompts));
        }
        var results = new List<GeneratedSequence>(prompts.Count);
        var device = model.Module.parameters().First().device;
        using var eval = new EvalMode(model.Module);
        using var noGrad = torch.no_grad();
        for (int start = 0; start < prompts.Count; start += options.BatchSize)
        {
            var batch = prompts.Skip(start).Take(options.BatchSize).ToList();
            results.AddRange(GenerateBatch(model, batch, options, device));
        }
        return results;
    }

    private static List<GeneratedSequence> GenerateBatch(ICausalLM model, List<int[]> prompts, GenerationOptions o, Device device)
    {
        int b = prompts.Count, width = prompts.Max(p => p.Length);
        var ids = new long[b * width];
        var mask = new long[b * width];
        for (int r = 0; r < b; r++)
        {
            int pad = width - prompts[r].Length;
            for (int c = 0; c < width; c++)
            {
                ids[r * width + c] = c < pad ? o.PadId : prompts[r][c - pad];
                mask[r * width + c] = c < pad ? 0 : 1;
            }
        }
        var generated = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var done = new bool[b];
        using var cache = o.UseCache ? model.NewKvCache() : null;
        var sequence = torch.tensor(ids, [b, width], device: device);
        var attention = torch.tensor(mask, [b, width], device: device);
        Tensor input = sequence.alias();
        try
        {
            for (int step = 0; step < o.MaxNewTokens && !done.All(d => d); step++)
            {
                long[] next;
                using (var scope = torch.NewDisposeScope())
                {
                    using var output = model.Forward(input, attention, cache, outputHiddenStates: false);
                    next = output.Logits.select(1, -1).argmax(-1).cpu().data<long>().ToArray();
                }
                for (int r = 0; r < b; r++)
                {
                    if (done[r]) continue;
                    if (next[r] == o.EosId) done[r] = true;
                    else generated[r].Add((int)next[r]);
                }
                using var column = torch.tensor(next, [b, 1], device: device);
                using var ones = torch.ones(b, 1, dtype: int64, device: device);
                Replace(ref attention, torch.cat([attention, ones], 1));
                Replace(ref sequence, torch.cat([sequence, column], 1));
                Replace(ref input, o.UseCache ? column.alias() : sequence.alias());
            }
        }
        finally
        {
            input.Dispose(); sequence.Dispose(); attention.Dispose();
        }
        return generated.Select((g, r) => new GeneratedSequence(g.ToArray(), done[r])).ToList();
    }

    private static void Replace(ref Tensor slot, Tensor value)
    {
        slot.Dispose();
        slot = value;
    }
}
