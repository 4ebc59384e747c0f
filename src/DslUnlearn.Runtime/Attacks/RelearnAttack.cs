using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Training;

namespace DslUnlearn.Attacks;

public record RelearnOptions
{
    /// <summary>Learning rate; unset = the original fine-tuning lr (the paper's choice).</summary>
    [Option(Min = 0, MinExclusive = true, Aliases = ["learning_rate", "lr_rate"])]
    public double? Lr { get; init; }
    /// <summary>Passes over the relearning data (used when steps is 0).</summary>
    [Option(Min = 1)]
    public int Epochs { get; init; } = 1;
    /// <summary>Exact number of optimizer steps instead of epochs (0 = use epochs).</summary>
    [Option(Min = 0, Aliases = ["max_steps", "num_steps", "n_steps"])]
    public int Steps { get; init; }
    /// <summary>Share of the forget set to relearn on (1 = all of it); the subset is drawn with the seed.</summary>
    [Option(Min = 0, MinExclusive = true, Max = 1)]
    public double DataFraction { get; init; } = 1.0;
    /// <summary>Examples per batch.</summary>
    [Option(Min = 1, Aliases = ["bs", "batch"])]
    public int BatchSize { get; init; } = 16;
    /// <summary>Gradient-norm clipping (0 = off).</summary>
    [Option(Min = 0)]
    public double MaxGradNorm { get; init; } = 1.0;
}

/// <summary>
/// Relearning: fine-tunes a copy of the attacked model on the forget set (all of it, or a seeded subset)
/// with the plain answer NLL, AdamW without weight decay at a constant lr, for one epoch by default, then
/// the metrics run on the copy. The input model is not changed; the returned copy belongs to the caller.
/// </summary>
[Attack("relearn")]
public sealed class RelearnAttack : IAttack
{
    public RelearnAttack(RelearnOptions options)
    {
        if (options.Lr is { } lr && !(lr > 0)) throw new ArgumentOutOfRangeException(nameof(options), lr, "relearn.lr must be positive (leave it out to use the fine-tuning lr).");
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "relearn.epochs must be at least 1.");
        if (options.Steps < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "relearn.steps must be 0 (use epochs) or more.");
        if (!(options.DataFraction is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(options), options.DataFraction, "relearn.data_fraction must lie in (0, 1].");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "relearn.batch_size must be at least 1.");
        Options = options;
    }

    public RelearnOptions Options { get; }

    /// <summary>The forget examples relearning trains on (a seeded subset when data_fraction &lt; 1).</summary>
    public IReadOnlyList<QaExample> Subset(QaDataset data, ulong seed)
    {
        var forget = data.Forget;
        if (forget.Count == 0) throw new ArgumentException("relearn: the forget split is empty, there is nothing to relearn.");
        int n = Math.Clamp((int)Math.Ceiling(Options.DataFraction * forget.Count - 1e-9), 1, forget.Count);
        if (n == forget.Count) return forget;
        var order = Enumerable.Range(0, forget.Count).ToList();
        new SplitMix64(seed ^ 0x5E1EA7UL).Shuffle(order);
        return order.Take(n).Order().Select(i => forget[i]).ToArray();
    }

    public AttackResult Apply(AttackContext context)
    {
        double lr = Options.Lr ?? context.FinetuneLr;
        if (!(lr > 0)) throw new ArgumentException($"relearn: no lr given and the fine-tuning lr is {lr}; set relearn.lr.");
        var rows = context.Encoder.EncodeAll(Subset(context.Data, context.Seed));
        var copy = context.Model.Clone();
        // A 16-bit model relearns as 16-bit training does: float32 master weights and AdamW state, 16-bit compute.
        var dtype = ModelPrecision.DtypeOf(context.Model);
        try
        {
            ModelPrecision.Cast(copy, ScalarType.Float32);
            Train(copy, rows, lr, context.Seed, context.Device, context.Encoder.Tokenizer.PadId, dtype);
            ModelPrecision.Cast(copy, dtype);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        return new AttackResult(copy, context.InputTransform);
    }

    private void Train(ICausalLM model, IReadOnlyList<EncodedQa> rows, double lr, ulong seed, Device device, int padId, ScalarType compute)
    {
        var module = model.Module;
        var parameters = module.parameters().ToArray();
        foreach (var p in parameters) p.requires_grad = true;
        var sampler = new BatchSampler(rows, Options.BatchSize, new SplitMix64(seed ^ 0x7E1EA7UL));
        var batches = Options.Steps > 0
            ? Enumerable.Range(0, Options.Steps).Select(_ => sampler.NextBatch())
            : Enumerable.Range(0, Options.Epochs).SelectMany(_ => sampler.Epoch());
        using var optimizer = new Training.AdamW(parameters, lr, weightDecay: 0);
        using var mixed = new MixedPrecision(model, compute);
        mixed.Train(true);
        try
        {
            foreach (var rowsOfBatch in batches)
            {
                using var scope = torch.NewDisposeScope();
                using var batch = TokenBatch.Collate(rowsOfBatch, device, padId);
                optimizer.zero_grad();
                var loss = CausalLmLoss.Nll(mixed.Compute, batch);
                loss.backward();
                mixed.GradientsToMaster();
                if (Options.MaxGradNorm > 0) nn.utils.clip_grad_norm_(parameters, Options.MaxGradNorm);
                optimizer.step();
                mixed.MasterToCompute();
            }
        }
        finally
        {
            optimizer.zero_grad();
            mixed.Train(false);
        }
    }
}
