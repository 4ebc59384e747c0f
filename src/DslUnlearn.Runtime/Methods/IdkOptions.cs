using DslUnlearn.Components;

namespace DslUnlearn.Methods;

public record IdkOptions : UnlearnOptions
{
    /// <summary>Weight of the retain term (NLL for idk_po, KL for idk_kl); 0 = IdK fine-tuning only.</summary>
    [Option(Min = 0, Aliases = ["retain_coef", "alpha", "gamma"])]
    public double RetainWeight { get; init; } = 1.0;
    /// <summary>Text file with one IdK answer per line; empty = the shipped list (Methods/Resources/idk_answers.txt).</summary>
    [Option(Sweepable = false)]
    public string? IdkAnswersFile { get; init; }
    /// <summary>Seed of the per-row choice of IdK answer.</summary>
    [Option(Min = 0)]
    public int IdkSeed { get; init; }
}
