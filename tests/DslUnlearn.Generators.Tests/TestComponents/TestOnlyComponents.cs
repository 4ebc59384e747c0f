using DslUnlearn.Attacks;
using DslUnlearn.Calibration;
using DslUnlearn.Components;
using DslUnlearn.Methods;
using static TorchSharp.torch;

namespace DslUnlearn.Generators.Tests.TestComponents;

/// <summary>How the test-only method selects tokens.</summary>
public enum TokenSelection
{
    All,
    HighLoss,
}

/// <summary>Options of the test-only method <c>scaled_ga</c>.</summary>
public record ScaledGaOptions : UnlearnOptions
{
    /// <summary>Temperature that divides the logits before the loss.</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double Temperature { get; init; } = 1.0;

    [Option(Help = "which answer tokens enter the loss")]
    public TokenSelection TokenSelection { get; init; } = TokenSelection.All;

    /// <summary>Whether the scaled loss is clipped.</summary>
    public bool Clip { get; init; }

    [Option(Sweepable = false, Min = 1, Max = 8)]
    public int Shards { get; init; } = 1;
}

/// <summary>A method that exists only in this test assembly: it proves discovery from references.</summary>
[UnlearningMethod("scaled_ga")]
public sealed class ScaledGradientAscent(ScaledGaOptions options) : IUnlearningMethod
{
    public UnlearnOptions Options => options;
    public bool NeedsReference => false;
    public bool NeedsRetain => false;
    public Tensor Loss(UnlearnStep step) => throw new NotSupportedException("test-only component");
}

public record NoiseOptions
{
    /// <summary>Standard deviation of the token noise.</summary>
    [Option(Min = 0)]
    public double Std { get; init; } = 0.1;

    [Option(Required = true, Min = 1)]
    public int Tokens { get; init; }
}

/// <summary>Test-only attack.</summary>
[Attack("noise")]
public sealed class NoiseAttack(NoiseOptions options) : IAttack
{
    public NoiseOptions Options => options;
    public AttackResult Apply(AttackContext context) => throw new NotSupportedException("test-only component");
}

public record RelearnOptions
{
    [Option(Min = 0, MinExclusive = true)]
    public double Lr { get; init; } = 1e-5;
    [Option(Min = 1)]
    public int Epochs { get; init; } = 1;
}

/// <summary>Test-only attack.</summary>
[Attack("test_relearn")]
public sealed class RelearnAttack(RelearnOptions options) : IAttack
{
    public RelearnOptions Options => options;
    public AttackResult Apply(AttackContext context) => throw new NotSupportedException("test-only component");
}

public record MixOptions
{
    /// <summary>Fraction of the original retain ES to keep.</summary>
    [Option(Min = 0, MinExclusive = true, Max = 1)]
    public double Tau { get; init; } = 0.9;
}

/// <summary>Test-only calibrator.</summary>
[Calibrator("mix")]
public sealed class MixCalibrator(MixOptions options) : ICalibrator
{
    public MixOptions Options => options;
    public CalibrationResult Calibrate(CalibrationContext context) => throw new NotSupportedException("test-only component");
}
