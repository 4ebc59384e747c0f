using DslUnlearn.Components;

namespace DslUnlearn.Specs.Vocabulary;

/// <summary>Fine-tuning of the target model on all data (forget + retain).</summary>
public sealed record FinetuneSpec
{
    [Option(Sweepable = true, Min = 1, Default = "40", Help = "passes over all data", Aliases = ["num_epochs", "n_epochs", "num_train_epochs"])]
    public required int Epochs { get; init; }
    [Option(Sweepable = true, Min = 0, MinExclusive = true, Default = "3e-3", Help = "AdamW learning rate", Aliases = ["learning_rate"])]
    public required double Lr { get; init; }
    [Option(Sweepable = true, Min = 1, Default = "16", Help = "QA pairs per step", Aliases = ["bs", "batch"])]
    public required int BatchSize { get; init; }
    [Option(Sweepable = true, Min = 0, Default = "0", Help = "AdamW weight decay", Aliases = ["wd"])]
    public required double WeightDecay { get; init; }
    /// <summary>Linear warm-up length: steps, or "1 epoch" / "10%" of the run (resolved when the run starts).</summary>
    [Option(Min = 0, Default = "0", Help = "linear warm-up steps; also \"1 epoch\" or \"10%\" of the run", Aliases = ["warmup"])]
    public required StepCount WarmupSteps { get; init; }
    [Option(Sweepable = true, Min = 0, Default = "1.0", Help = "gradient clipping norm (0 = off)", Aliases = ["grad_clip", "clip_grad_norm", "gradient_clipping"])]
    public required double MaxGradNorm { get; init; }
    /// <summary>Also fine-tune an oracle (retain-only) model with the same settings (staged runner: stage finetune/oracle, row "oracle").</summary>
    [Option(Default = "false", Help = "also fine-tune an oracle model on the retain split only (same settings); evaluated, attacked, and used as the reference model", Aliases = ["retain_model", "train_oracle"])]
    public bool Oracle { get; init; }
    /// <summary>Recompute each decoder layer in the backward pass (less activation memory, same gradients, one more
    /// forward per step). Changes how, not what, is computed: left out of stage keys.</summary>
    [Option(Default = "false", KeyNeutral = "false", Help = "recompute each decoder layer in the backward pass: less activation memory, same gradients, one more forward per step", Aliases = ["activation_checkpointing", "grad_checkpointing"])]
    public bool GradientCheckpointing { get; init; }
    /// <summary>
    /// Computes each step on the batch's real tokens: the rows, sorted by length, split into this many groups that are
    /// each padded only to their own longest row (fewest padded positions), one forward per group, the loss the
    /// step's mean over all its labelled tokens. The same rows, order and loss as one padded batch (1, the default),
    /// up to floating-point summation order, which moves every number: it enters the stage keys when not 1.
    /// </summary>
    [Option(Sweepable = true, Min = 1, Max = 64, Default = "1", KeyNeutral = "1", Help = "split each step's rows, sorted by length, into this many groups padded only to their own longest: same rows and loss, fewer padded positions, other float rounding (1 = one padded batch)", Aliases = ["unpad_groups", "packing_groups"])]
    public int LengthGroups { get; init; } = 1;

    /// <summary>
    /// Throws when a value is outside the range its <c>[Option]</c> declares: the declaration the generator checks
    /// YAML against (finetune:, testbed.pretrain:), so a spec written in C# gets the build's message at run time.
    /// </summary>
    /// <param name="where">Names the section in the message ("finetune target", "testbed.pretrain").</param>
    public void Validate(string where)
    {
        var problems = OptionRanges.Problems(this).ToList();
        if (WarmupSteps.Problem() is { } warmup) problems.Add($"'warmup_steps' {warmup}");
        if (problems.Count > 0) throw new ArgumentException($"{where}: {string.Join("; ", problems)}");
    }
}
