using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Generation;
using DslUnlearn.Models;
using DslUnlearn.Torch;
using DslUnlearn.Training;

namespace DslUnlearn.Attacks;

public enum ProbeReadout
{
    /// <summary>Logit lens: the model's own final norm and head applied to the layer's hidden state.</summary>
    LogitLens,
    /// <summary>Tuned lens: an affine map (identity at start) trained on retain data, then the final norm and head.</summary>
    Tuned,
}

public record ProbeOptions
{
    /// <summary>Hidden state to decode from: 0 = embeddings, i = output of layer i; negative counts from the end (-1 = last layer, -2 = the one before).</summary>
    public int Layer { get; init; } = -2;
    /// <summary>logit_lens or tuned.</summary>
    public ProbeReadout Readout { get; init; } = ProbeReadout.LogitLens;
    /// <summary>Training steps of the tuned readout.</summary>
    [Option(Min = 1)]
    public int TunedSteps { get; init; } = 100;
    /// <summary>Learning rate of the tuned readout (AdamW, no weight decay).</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double TunedLr { get; init; } = 1e-3;
    /// <summary>Retain examples per training batch of the tuned readout.</summary>
    [Option(Min = 1)]
    public int TunedBatchSize { get; init; } = 16;
}

/// <summary>
/// Probing: decodes from an intermediate layer. The result is a <see cref="ProbeView"/>, an
/// <see cref="ICausalLM"/> whose logits come from the chosen hidden state through the read-out, so every
/// metric runs on it unchanged. The view borrows the attacked model (no weights are copied); the tuned
/// readout is trained on the retain split with the model frozen, seeded, and is owned by the view.
/// </summary>
[Attack("probe", PreservesKnowledge = true)]
public sealed class ProbeAttack : IAttack
{
    public ProbeAttack(ProbeOptions options)
    {
        if (options.TunedSteps < 1) throw new ArgumentOutOfRangeException(nameof(options), options.TunedSteps, "probe.tuned_steps must be at least 1.");
        if (!(options.TunedLr > 0)) throw new ArgumentOutOfRangeException(nameof(options), options.TunedLr, "probe.tuned_lr must be positive.");
        if (options.TunedBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.TunedBatchSize, "probe.tuned_batch_size must be at least 1.");
        Options = options;
    }

    public ProbeOptions Options { get; }

    /// <summary>The hidden-state index (0..NumLayers) that <paramref name="layer"/> names for a model with <paramref name="numLayers"/> layers.</summary>
    public static int ResolveLayer(int layer, int numLayers)
    {
        int index = layer < 0 ? numLayers + 1 + layer : layer;
        if (index < 0 || index > numLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer,
                $"probe.layer = {layer} does not exist in a model with {numLayers} layers: use 0..{numLayers} (0 = embeddings) or -{numLayers + 1}..-1 (-1 = last layer).");
        return index;
    }

    public AttackResult Apply(AttackContext context)
    {
        var model = context.Model;
        int layer = ResolveLayer(Options.Layer, model.NumLayers);
        TunedReadout? readout = null;
        if (Options.Readout == ProbeReadout.Tuned)
            readout = TrainReadout(model, layer, context.Encoder.EncodeAll(context.Data.RetainTrain), context.Seed, context.Device, context.Encoder.Tokenizer.PadId);
        return new AttackResult(new ProbeView(model, layer, readout, ownsBase: false), context.InputTransform);
    }

    /// <summary>Trains the tuned readout on <paramref name="rows"/> (answer-token NLL) with the model frozen; the model's weights and grads are left as they were.</summary>
    public TunedReadout TrainReadout(ICausalLM model, int layer, IReadOnlyList<EncodedQa> rows, ulong seed, Device device, int padId)
    {
        if (rows.Count == 0) throw new ArgumentException("probe: the tuned readout trains on the retain split, and it is empty; use readout: logit_lens.");
        var readout = new TunedReadout(model.HiddenSize, device);
        var module = model.Module;
        var parameters = module.parameters().ToArray();
        var flags = parameters.Select(p => p.requires_grad).ToArray();
        using var eval = new EvalMode(module);
        try
        {
            foreach (var p in parameters) p.requires_grad = false;
            var view = new ProbeView(model, layer, readout, ownsBase: false);
            var sampler = new BatchSampler(rows, Options.TunedBatchSize, new SplitMix64(seed ^ 0x9B0BE5UL));
            using var optimizer = optim.AdamW(readout.parameters(), lr: Options.TunedLr, weight_decay: 0);
            for (int step = 0; step < Options.TunedSteps; step++)
            {
                using var scope = torch.NewDisposeScope();
                using var batch = TokenBatch.Collate(sampler.NextBatch(), device, padId);
                optimizer.zero_grad();
                var loss = CausalLmLoss.Nll(view, batch);
                loss.backward();
                optimizer.step();
            }
            optimizer.zero_grad();
        }
        catch
        {
            readout.Dispose();
            throw;
        }
        finally
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i].requires_grad = flags[i];
        }
        foreach (var p in readout.parameters()) p.requires_grad = false;
        return readout;
    }
}

/// <summary>The tuned lens's translator: h -> h + (W h + b), with W and b zero at the start (so it starts as the logit lens).</summary>
public sealed class TunedReadout : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter weight;
    private readonly TorchSharp.Modules.Parameter bias;

    public TunedReadout(int hidden, Device device) : base(nameof(TunedReadout))
    {
        weight = new TorchSharp.Modules.Parameter(torch.zeros(hidden, hidden, device: device));
        bias = new TorchSharp.Modules.Parameter(torch.zeros(hidden, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        if (hidden.shape[^1] != weight.shape[1])
            throw new Torch.ShapeMismatchException($"tuned readout: hidden size {hidden.shape[^1]} != {weight.shape[1]}.");
        using var scope = torch.NewDisposeScope();
        return hidden.Plus(nn.functional.linear(hidden, weight, bias)).MoveToOuterDisposeScope();
    }

    public TunedReadout Copy()
    {
        var copy = new TunedReadout((int)weight.shape[1], weight.device);
        using (torch.no_grad())
        {
            copy.weight.copy_(weight);
            copy.bias.copy_(bias);
        }
        foreach (var p in copy.parameters()) p.requires_grad = weight.requires_grad;
        return copy;
    }
}

/// <summary>
/// A model read out at hidden state <see cref="Layer"/>: its logits are ReadOut(readout(h_Layer)). It looks
/// like a model with <see cref="Layer"/> layers: its hidden states are the base's first Layer + 1 and its
/// <see cref="ReadOut"/> includes the tuned readout, so probing a view is consistent. At the last layer with
/// the logit lens it computes exactly the base model's logits. <see cref="Module"/> is the base's module
/// (train/eval switches reach the base). Disposing the view disposes its readout, and the base only when it
/// owns it (clones do).
/// </summary>
public sealed class ProbeView(ICausalLM baseModel, int layer, TunedReadout? readout, bool ownsBase) : ICausalLM
{
    private bool _disposed;

    public ICausalLM Base => baseModel;
    public int Layer => layer;
    public TunedReadout? Readout => readout;
    public string Family => baseModel.Family;
    public int VocabSize => baseModel.VocabSize;
    public int HiddenSize => baseModel.HiddenSize;
    public int NumLayers => layer;
    public int MaxPositions => baseModel.MaxPositions;
    public nn.Module Module => baseModel.Module;

    // Every pass runs the base only up to the chosen layer (HiddenStatesUpTo): the layers after it and the base's head
    // would be computed and thrown away; the states up to it are the same bits either way.
    public Tensor Logits(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        var states = baseModel.HiddenStatesUpTo(inputIds, null, null, layer); // they die with the scope
        return ReadOut(states[layer]).MoveToOuterDisposeScope();
    }

    public CausalLMOutput Forward(Tensor inputIds, bool outputHiddenStates)
    {
        if (!outputHiddenStates) return new CausalLMOutput(Logits(inputIds), null);
        using var scope = torch.NewDisposeScope();
        var states = baseModel.HiddenStatesUpTo(inputIds, null, null, layer);
        var logits = ReadOut(states[^1]);
        return new CausalLMOutput(logits, states).MoveToOuterDisposeScope();
    }

    /// <summary>Batched generation through the view: the base runs with the mask and its own cache (<see cref="NewKvCache"/>),
    /// and the logits come from the chosen hidden state as in <see cref="Logits"/>.</summary>
    public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache, bool outputHiddenStates)
    {
        if (attentionMask is null && cache is null) return Forward(inputIds, outputHiddenStates);
        using var scope = torch.NewDisposeScope();
        var states = baseModel.HiddenStatesUpTo(inputIds, attentionMask, cache, layer);
        var logits = ReadOut(states[^1]);
        return new CausalLMOutput(logits, outputHiddenStates ? states : null).MoveToOuterDisposeScope();
    }

    /// <summary>The view's hidden states are its base's first <see cref="Layer"/> + 1.</summary>
    public IReadOnlyList<Tensor> HiddenStatesUpTo(Tensor inputIds, Tensor? attentionMask, KvCache? cache, int upTo)
    {
        if (upTo < 0 || upTo > layer) throw new ArgumentOutOfRangeException(nameof(upTo), upTo, $"a view read out at layer {layer} has hidden states 0..{layer}.");
        return baseModel.HiddenStatesUpTo(inputIds, attentionMask, cache, upTo);
    }

    public KvCache NewKvCache() => baseModel.NewKvCache();

    public Tensor ReadOut(Tensor hidden)
    {
        if (readout is null) return baseModel.ReadOut(hidden);
        using var scope = torch.NewDisposeScope();
        return baseModel.ReadOut(readout.forward(hidden)).MoveToOuterDisposeScope();
    }

    public ICausalLM Clone() => new ProbeView(baseModel.Clone(), layer, readout?.Copy(), ownsBase: true);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        readout?.Dispose();
        if (ownsBase) baseModel.Dispose();
    }
}
