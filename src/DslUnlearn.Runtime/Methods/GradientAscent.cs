using DslUnlearn.Components;
using DslUnlearn.Training;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

public record GaOptions : UnlearnOptions;

/// <summary>GA: gradient ascent on the forget set, i.e. minimise -NLL(forget).</summary>
[UnlearningMethod("ga")]
public sealed class GradientAscent(GaOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => false;
    public bool NeedsRetain => false;
    public Tensor Loss(UnlearnStep step) => -CausalLmLoss.Nll(step.Model, step.Forget);
}

public record GdOptions : UnlearnOptions
{
    /// <summary>Weight of the retain NLL term.</summary>
    [Option(Min = 0)]
    public double RetainWeight { get; init; } = 1.0;
}

/// <summary>GD (gradient difference): minimise -NLL(forget) + retain_weight * NLL(retain).</summary>
[UnlearningMethod("gd")]
public sealed class GradientDifference(GdOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => false;
    public bool NeedsRetain => true;

    public Tensor Loss(UnlearnStep step)
    {
        var forget = -CausalLmLoss.Nll(step.Model, step.Forget);
        return step.Retain is null ? forget : forget + options.RetainWeight * CausalLmLoss.Nll(step.Model, step.Retain);
    }
}
