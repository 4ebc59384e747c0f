using DslUnlearn.Generation;
using GenerationOptions = DslUnlearn.Generation.GenerationOptions;
using DslUnlearn.Tests.Models;

namespace DslUnlearn.Tests.Generation;

public class GenerationTests
{
    private static readonly int[][] Prompts = [[1, 5, 9, 2, 7], [3, 4], [8, 8, 8, 1, 2, 3, 4, 5], [6]];

    /// <summary>Greedy decoding by hand: full forward over the unpadded sequence, argmax of the last position.</summary>
    private static int[] Reference(ICausalLM model, int[] prompt, int steps)
    {
        using var _ = torch.no_grad();
        var seq = prompt.Select(i => (long)i).ToList();
        var result = new List<int>();
        for (int s = 0; s < steps; s++)
        {
            using var scope = torch.NewDisposeScope();
            var logits = model.Logits(torch.tensor(seq.ToArray(), [1, seq.Count]));
            int next = (int)logits[0, -1].argmax().item<long>();
            result.Add(next);
            seq.Add(next);
        }
        return result.ToArray();
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Cached_batched_uncached_and_one_by_one_generation_agree(string name)
    {
        using var model = TinyModels.Create(name, seed: 11);
        var cached = GreedyGenerator.Generate(model, Prompts, new GenerationOptions(8, EosId: null, PadId: 0, UseCache: true));
        var uncached = GreedyGenerator.Generate(model, Prompts, new GenerationOptions(8, EosId: null, PadId: 0, UseCache: false));
        var oneByOne = Prompts.Select(p => GreedyGenerator.Generate(model, [p], new GenerationOptions(8, null, UseCache: true))[0]).ToList();
        for (int i = 0; i < Prompts.Length; i++)
        {
            var expected = Reference(model, Prompts[i], 8);
            Assert.Equal(expected, cached[i].Tokens);
            Assert.Equal(expected, uncached[i].Tokens);
            Assert.Equal(expected, oneByOne[i].Tokens);
            Assert.False(cached[i].StoppedAtEos);
        }
        // A random model that always repeated one token would make the comparison weak.
        Assert.True(cached.SelectMany(c => c.Tokens).Distinct().Count() > 3);
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Cached_logits_match_a_full_forward_of_the_left_padded_row(string name)
    {
        using var model = TinyModels.Create(name, seed: 5);
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        // Row 0 has two pads on the left; its logits must equal those of the unpadded sequence.
        var ids = torch.tensor(new long[] { 0, 0, 4, 9, 3, 1, 2, 3, 4, 5 }, [2, 5]);
        var mask = torch.tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 5]);
        using var cache = new KvCache(model.NumLayers);
        var first = model.Forward(ids.narrow(1, 0, 4), mask.narrow(1, 0, 4), cache, false).Logits;
        var second = model.Forward(ids.narrow(1, 4, 1), mask, cache, false).Logits;
        Assert.Equal(5, cache.SeqLength);
        var alone = model.Logits(torch.tensor(new long[] { 4, 9, 3 }, [1, 3]));
        Assert.True(first[0].narrow(0, 2, 2).allclose(alone[0].narrow(0, 0, 2), rtol: 1e-4, atol: 1e-5));
        Assert.True(second[0, 0].allclose(alone[0, 2], rtol: 1e-4, atol: 1e-5));
        var full = model.Logits(ids);
        Assert.True(second[1, 0].allclose(full[1, 4], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Generation_stops_at_eos_and_respects_max_new_tokens()
    {
        using var model = TinyModels.Create("llama", seed: 11);
        var free = GreedyGenerator.Generate(model, Prompts, new GenerationOptions(12, null))[0].Tokens;
        int eos = free[3];
        int firstEos = Array.IndexOf(free, eos);
        var stopped = GreedyGenerator.Generate(model, Prompts, new GenerationOptions(12, eos));
        Assert.Equal(free[..firstEos], stopped[0].Tokens);
        Assert.True(stopped[0].StoppedAtEos);
        var shorter = GreedyGenerator.Generate(model, Prompts, new GenerationOptions(3, null));
        Assert.All(shorter, s => Assert.Equal(3, s.Tokens.Length));
        Assert.Empty(GreedyGenerator.Generate(model, Prompts, new GenerationOptions(0, null))[0].Tokens);
        // Batches of two give the same tokens as one batch of four.
        var small = GreedyGenerator.Generate(model, Prompts, new GenerationOptions(12, eos, BatchSize: 2));
        Assert.Equal(stopped.Select(s => s.Tokens), small.Select(s => s.Tokens));
    }

    [Fact]
    public void Prompts_longer_than_the_context_are_a_clear_error()
    {
        using var model = TinyModels.Create("gpt2");
        var e = Assert.Throws<ArgumentException>(() =>
            GreedyGenerator.Generate(model, [Enumerable.Repeat(1, 60).ToArray()], new GenerationOptions(10, null)));
        Assert.Contains("prompt 0 has 60 tokens; with max_new_tokens = 10 it exceeds the model's 64 positions", e.Message);
        Assert.Throws<ArgumentException>(() => GreedyGenerator.Generate(model, [Array.Empty<int>()], new GenerationOptions(1, null)));
    }

    [Fact]
    public void Generation_leaks_no_tensors_and_restores_training_mode()
    {
        using var model = TinyModels.Create("phi");
        model.Module.train();
        GreedyGenerator.Generate(model, Prompts, new GenerationOptions(4, null));
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        using (var scope = torch.NewDisposeScope())
        {
            GreedyGenerator.Generate(model, Prompts, new GenerationOptions(6, null, UseCache: true));
            GreedyGenerator.Generate(model, Prompts, new GenerationOptions(6, null, UseCache: false));
        }
        Assert.Equal(0, stats.ThreadTotalLiveCount);
        Assert.True(model.Module.training);
    }

    [Fact]
    public void The_cache_owns_and_frees_its_tensors()
    {
        var cache = new KvCache(2);
        using var k = torch.ones(1, 2, 3, 4);
        using var v = torch.zeros(1, 2, 3, 4);
        var (keys, _) = cache.Append(0, k, v);
        Assert.Equal([1, 2, 3, 4], keys.shape);
        Assert.Equal(3, cache.SeqLength);
        var (keys2, _) = cache.Append(0, k, v);
        Assert.Equal(6, keys2.shape[2]);
        Assert.True(keys.IsInvalid);          // the old keys were freed when replaced
        cache.Dispose();
        Assert.True(keys2.IsInvalid);
        Assert.False(k.IsInvalid);            // inputs stay the caller's
        Assert.Throws<ObjectDisposedException>(() => cache.Append(0, k, v));
    }
}
