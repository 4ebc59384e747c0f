using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Text;

namespace DslUnlearn.Methods;

/// <summary>
/// One unlearning method: the loss of one step. All methods share one training loop
/// (<see cref="UnlearningLoop"/>), which owns batching, optimizer, schedule, clipping and checkpoints.
/// </summary>
public interface IUnlearningMethod
{
    /// <summary>Training options shared by every method (lr, steps, batch, ...).</summary>
    UnlearnOptions Options { get; }
    /// <summary>Whether <see cref="UnlearnStep.Reference"/> (the frozen original model) must be provided.</summary>
    bool NeedsReference { get; }
    /// <summary>Whether <see cref="UnlearnStep.Retain"/> batches must be provided.</summary>
    bool NeedsRetain { get; }
    /// <summary>Whether the reference is used only through its per-token NLL on the forget batch
    /// (<see cref="Losses.ReferenceForgetTokens"/>): the loop then precomputes those (<see cref="ReferenceLogProbs"/>)
    /// and frees the reference model before training.</summary>
    bool ReferenceOnlyOnForget => false;
    /// <summary>With <see cref="ReferenceOnlyOnForget"/>: further batches, built from a step's forget rows, on which the
    /// method reads the reference's per-token NLL at temperature 1 (DPO: the IdK batch); the loop precomputes them too.
    /// The caller disposes the batches.</summary>
    IEnumerable<TokenBatch> ReferenceBatches(IReadOnlyList<EncodedQa> forgetRows, int stepIndex, ITokenizer? tokenizer, Device device) => [];
    /// <summary>The scalar loss to minimise for this step (inside the caller's dispose scope).</summary>
    Tensor Loss(UnlearnStep step);
}

/// <summary>Inputs of one step. Reference is frozen (no grad) and present only when the method needs it.</summary>
public sealed record UnlearnStep(ICausalLM Model, ICausalLM? Reference, TokenBatch Forget, TokenBatch? Retain, int StepIndex)
{
    /// <summary>The encoded rows behind <see cref="Forget"/> (the loop always sets it); methods that substitute
    /// answers (IdK, DPO) rebuild batches from these.</summary>
    public IReadOnlyList<EncodedQa>? ForgetRows { get; init; }
    /// <summary>The tokenizer of the run, when the caller of the loop passed one (IdK and DPO need it).</summary>
    public ITokenizer? Tokenizer { get; init; }
    /// <summary>The reference's precomputed per-token NLL on the forget batches (set instead of <see cref="Reference"/>
    /// for methods with <see cref="IUnlearningMethod.ReferenceOnlyOnForget"/>).</summary>
    public ReferenceLogProbs? ReferenceCache { get; init; }
}

/// <summary>Optimizer of the unlearning loop. Member names are spelled so that their snake_case is the YAML value (adamw, sgd).</summary>
public enum OptimizerKind
{
    /// <summary>AdamW (decoupled weight decay); YAML <c>adamw</c>.</summary>
    Adamw,
    /// <summary>Plain SGD (no momentum), weight decay as L2.</summary>
    Sgd,
}

/// <summary>
/// Options every method has. Method options records derive from this, so their YAML item is flat:
/// <c>- method: npo, beta: 0.1, lr: 1e-5, steps: 20</c>. Every default reproduces the original loop
/// (AdamW without weight decay, constant lr, no clipping, no accumulation, plain forget NLL).
/// </summary>
public record UnlearnOptions
{
    /// <summary>Label in tables and artifact names; defaults to the method name.</summary>
    [Components.Option(Sweepable = false)]
    public string? Name { get; init; }
    /// <summary>Learning rate.</summary>
    [Components.Option(Min = 0, MinExclusive = true, Aliases = ["learning_rate", "lr_rate"])]
    public double Lr { get; init; } = 1e-4;
    /// <summary>Length of the run (used when epochs is 0): optimizer steps, or passes over the forget split ("2 epochs": epochs * ceil(forget / (batch_size * gradient_accumulation)) steps).</summary>
    [Components.Option(Min = 1, AllowPercent = false, Aliases = ["max_steps", "num_steps", "n_steps"])]
    public Specs.Vocabulary.StepCount Steps { get; init; } = 10;
    /// <summary>Passes over the forget split; when above 0 it replaces steps: epochs * ceil(forget / (batch_size * gradient_accumulation)) optimizer steps.</summary>
    [Components.Option(Min = 0)]
    public int Epochs { get; init; }
    /// <summary>Examples per forget (and retain) batch.</summary>
    [Components.Option(Min = 1, Aliases = ["bs", "batch"])]
    public int BatchSize { get; init; } = 16;
    /// <summary>Micro-batches whose gradients are averaged before each optimizer step.</summary>
    [Components.Option(Min = 1)]
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Steps of linear warm-up from lr/warmup_steps to lr; the lr is constant afterwards. Also "1 epoch" or "10%" (of the run's steps).</summary>
    [Components.Option(Min = 0)]
    public Specs.Vocabulary.StepCount WarmupSteps { get; init; }
    /// <summary>Weight decay (decoupled for adamw, L2 for sgd).</summary>
    [Components.Option(Min = 0)]
    public double WeightDecay { get; init; }
    /// <summary>Clip the global gradient norm to this value; 0 turns clipping off.</summary>
    [Components.Option(Min = 0)]
    public double MaxGradNorm { get; init; }
    /// <summary>Optimizer: adamw or sgd.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adamw;
    /// <summary>Added to the run's seed for this method's batch order (0: every method sees the same batches).</summary>
    [Components.Option(Min = 0)]
    public int SeedOffset { get; init; }
    /// <summary>Hand the model to the pipeline's checkpoint observer after every N optimizer steps and after the last one; 0 turns it off. Also "0.5 epoch" or "25%" (of the run's steps).</summary>
    [Components.Option(Min = 0)]
    public Specs.Vocabulary.StepCount CheckpointEvery { get; init; }
    /// <summary>Trick: divide the forget logits by T in every forget NLL term (1 = off).</summary>
    [Components.Option(Min = 0, MinExclusive = true)]
    public double ForgetTemperature { get; init; } = 1.0;
    /// <summary>Trick: keep only this fraction q of each forget answer's tokens, those with the lowest loss (1 = all).</summary>
    [Components.Option(Min = 0, MinExclusive = true, Max = 1)]
    public double TokenLossFraction { get; init; } = 1.0;

    /// <summary>Recompute each decoder layer in the backward pass (less activation memory, same gradients, one more forward per step); left out of stage keys.</summary>
    [Components.Option(Sweepable = false, KeyNeutral = "false")]
    public bool GradientCheckpointing { get; init; }

    /// <summary>Whether either forget trick is switched on.</summary>
    public bool UsesForgetTricks => ForgetTemperature != 1.0 || TokenLossFraction != 1.0;

    /// <summary>Optimizer steps for a forget split of <paramref name="forgetCount"/> examples.</summary>
    public int TotalSteps(int forgetCount)
    {
        if (Epochs <= 0) return Steps.Resolve(StepsPerEpoch(forgetCount));
        return Epochs * StepsPerEpoch(forgetCount);
    }

    /// <summary>Optimizer steps in one pass over a forget split of <paramref name="forgetCount"/> examples: ceil(forget / (batch_size * gradient_accumulation)), at least 1.</summary>
    public int StepsPerEpoch(int forgetCount)
    {
        int perStep = BatchSize * GradientAccumulation;
        return Math.Max(1, (forgetCount + perStep - 1) / perStep);
    }

    /// <summary><see cref="WarmupSteps"/> in optimizer steps for a forget split of <paramref name="forgetCount"/> examples.</summary>
    public int ResolvedWarmupSteps(int forgetCount) => WarmupSteps.Resolve(StepsPerEpoch(forgetCount), TotalSteps(forgetCount));

    /// <summary><see cref="CheckpointEvery"/> in optimizer steps for a forget split of <paramref name="forgetCount"/> examples (0 = off).</summary>
    public int ResolvedCheckpointEvery(int forgetCount) => CheckpointEvery.Resolve(StepsPerEpoch(forgetCount), TotalSteps(forgetCount));

    /// <summary>
    /// Checks ranges: the numbers come from the [Option] attributes of this record and of the method's options
    /// record (<see cref="Components.OptionRanges"/>, what the YAML generator reads too, with its messages); step
    /// counts check their unit and value themselves.
    /// </summary>
    public void Validate(string method)
    {
        string who = $"unlearn '{Name ?? method}' (method {method})";
        void Need(bool ok, string message) { if (!ok) throw new ArgumentException($"{who}: {message}"); }
        foreach (var problem in Components.OptionRanges.Problems(this)) Need(false, problem);
        Need(Steps.Problem() is null && !Steps.IsZero && Steps.Unit != Specs.Vocabulary.StepUnit.FractionOfTotal,
            $"steps must be a whole number of steps (at least 1) or a positive number of epochs (\"2 epochs\"), got {Steps}.");
        Need(WarmupSteps.Problem() is null, $"warmup_steps {WarmupSteps.Problem()}.");
        Need(CheckpointEvery.Problem() is null, $"checkpoint_every {CheckpointEvery.Problem()} (0 = off).");
    }
}
