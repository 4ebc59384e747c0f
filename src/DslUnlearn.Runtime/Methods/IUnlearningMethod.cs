using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Text;
using static TorchSharp.torch;

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
    [Components.Option(Min = 0, MinExclusive = true)]
    public double Lr { get; init; } = 1e-4;
    /// <summary>Optimizer steps (used when epochs is 0).</summary>
    [Components.Option(Min = 1)]
    public int Steps { get; init; } = 10;
    /// <summary>Passes over the forget split; when above 0 it replaces steps: epochs * ceil(forget / (batch_size * gradient_accumulation)) optimizer steps.</summary>
    [Components.Option(Min = 0)]
    public int Epochs { get; init; }
    /// <summary>Examples per forget (and retain) batch.</summary>
    [Components.Option(Min = 1)]
    public int BatchSize { get; init; } = 16;
    /// <summary>Micro-batches whose gradients are averaged before each optimizer step.</summary>
    [Components.Option(Min = 1)]
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Steps of linear warm-up from lr/warmup_steps to lr; the lr is constant afterwards.</summary>
    [Components.Option(Min = 0)]
    public int WarmupSteps { get; init; }
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
    /// <summary>Hand the model to the pipeline's checkpoint observer after every N optimizer steps and after the last one; 0 turns it off.</summary>
    [Components.Option(Min = 0)]
    public int CheckpointEvery { get; init; }
    /// <summary>Trick: divide the forget logits by T in every forget NLL term (1 = off).</summary>
    [Components.Option(Min = 0, MinExclusive = true)]
    public double ForgetTemperature { get; init; } = 1.0;
    /// <summary>Trick: keep only this fraction q of each forget answer's tokens, those with the lowest loss (1 = all).</summary>
    [Components.Option(Min = 0, MinExclusive = true, Max = 1)]
    public double TokenLossFraction { get; init; } = 1.0;

    /// <summary>Whether either forget trick is switched on.</summary>
    public bool UsesForgetTricks => ForgetTemperature != 1.0 || TokenLossFraction != 1.0;

    /// <summary>Optimizer steps for a forget split of <paramref name="forgetCount"/> examples.</summary>
    public int TotalSteps(int forgetCount)
    {
        if (Epochs <= 0) return Steps;
        int perStep = BatchSize * GradientAccumulation;
        return Epochs * Math.Max(1, (forgetCount + perStep - 1) / perStep);
    }

    /// <summary>Checks ranges (the YAML generator checks them too; C# callers get the same messages).</summary>
    public void Validate(string method)
    {
        string who = $"unlearn '{Name ?? method}' (method {method})";
        void Need(bool ok, string message) { if (!ok) throw new ArgumentException($"{who}: {message}"); }
        Need(Lr > 0 && double.IsFinite(Lr), $"lr must be a positive number, got {Lr}.");
        Need(Steps >= 1, $"steps must be at least 1, got {Steps}.");
        Need(Epochs >= 0, $"epochs must be 0 (use steps) or positive, got {Epochs}.");
        Need(BatchSize >= 1, $"batch_size must be at least 1, got {BatchSize}.");
        Need(GradientAccumulation >= 1, $"gradient_accumulation must be at least 1, got {GradientAccumulation}.");
        Need(WarmupSteps >= 0, $"warmup_steps must be 0 or more, got {WarmupSteps}.");
        Need(WeightDecay >= 0, $"weight_decay must be 0 or more, got {WeightDecay}.");
        Need(MaxGradNorm >= 0, $"max_grad_norm must be 0 (off) or positive, got {MaxGradNorm}.");
        Need(SeedOffset >= 0, $"seed_offset must be 0 or more, got {SeedOffset}.");
        Need(CheckpointEvery >= 0, $"checkpoint_every must be 0 (off) or positive, got {CheckpointEvery}.");
        Need(ForgetTemperature > 0 && double.IsFinite(ForgetTemperature), $"forget_temperature must be a positive number (1 = off), got {ForgetTemperature}.");
        Need(TokenLossFraction > 0 && TokenLossFraction <= 1, $"token_loss_fraction must be in (0, 1] (1 = keep every answer token), got {TokenLossFraction}.");
    }
}
