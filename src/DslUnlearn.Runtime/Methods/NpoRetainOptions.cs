using DslUnlearn.Components;

namespace DslUnlearn.Methods;

public record NpoRetainOptions : NpoOptions
{
    /// <summary>Weight of the retain term (NLL for npo_gd, KL for npo_kl).</summary>
    [Option(Min = 0, Aliases = ["retain_coef", "alpha", "gamma"])]
    public double RetainWeight { get; init; } = 1.0;
}
