using DslUnlearn.Components;

namespace DslUnlearn.Methods;

public record NpoOptions : UnlearnOptions
{
    /// <summary>Inverse temperature of the preference loss.</summary>
    [Option(Min = 0, MinExclusive = true, Aliases = ["b"])]
    public double Beta { get; init; } = 0.1;
}

/// <summary>NPO: negative preference optimization against the frozen original model.</summary>
[UnlearningMethod("npo")]
public sealed class Npo(NpoOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => false;
    bool IUnlearningMethod.ReferenceOnlyOnForget => true; // explicit: not a public property, so not in stage keys or the resolved spec
    public Tensor Loss(UnlearnStep step) => NpoLoss.Forget(step, options, "npo");
}
