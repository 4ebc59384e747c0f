using System.Reflection;
using DslUnlearn.Components;
using DslUnlearn.Methods;

namespace DslUnlearn.Tests.Components;

/// <summary>The run-time range check reads the same [Option] declaration as the generator, with the build's message.</summary>
public sealed class OptionRangesTests
{
    [Fact]
    public void Values_outside_the_declared_range_are_named_with_the_fix()
    {
        Assert.Equal(new[] { "'lr' must be > 0, got 0; set it to a value > 0" }, OptionRanges.Problems(new GaOptions { Lr = 0 }));
        Assert.Equal(new[] { "'batch_size' must be >= 1, got 0; set it to a value >= 1", "'token_loss_fraction' must be > 0 and <= 1, got 1.5; set it to a value > 0 and <= 1" },
            OptionRanges.Problems(new GaOptions { BatchSize = 0, TokenLossFraction = 1.5 }));
        // Not a number is never in range; the bounds themselves are (an exclusive minimum excepted).
        Assert.Single(OptionRanges.Problems(new GaOptions { Lr = double.NaN }));
        Assert.Single(OptionRanges.Problems(new GaOptions { Lr = double.PositiveInfinity }));
        Assert.Empty(OptionRanges.Problems(new GaOptions { TokenLossFraction = 1, WeightDecay = 0 }));
    }

    [Fact]
    public void A_method_specific_option_is_checked_at_run_time_through_Validate()
    {
        // GdOptions.RetainWeight is declared [Option(Min = 0)] on the method's record only.
        var e = Assert.Throws<ArgumentException>(() => new GdOptions { RetainWeight = -1 }.Validate("gd"));
        Assert.Equal("unlearn 'gd' (method gd): 'retain_weight' must be >= 0, got -1; set it to a value >= 0", e.Message);
    }

    [Fact]
    public void Section_keys_are_checked_at_run_time_from_the_same_declaration()
    {
        // FinetuneSpec declares its ranges with [Option] (the generator reads them for finetune:); a spec written in C#
        // is refused by Finetuner.Train through Validate with the build's wording.
        var ok = new FinetuneSpec { Epochs = 1, Lr = 1e-3, BatchSize = 1, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 0 };
        ok.Validate("finetune target");
        var e = Assert.Throws<ArgumentException>(() => (ok with { Lr = 0, Epochs = 0 }).Validate("finetune target"));
        Assert.Equal("finetune target: 'epochs' must be >= 1, got 0; set it to a value >= 1; 'lr' must be > 0, got 0; set it to a value > 0", e.Message);
        Assert.Contains("'max_grad_norm' must be >= 0, got -1",
            Assert.Throws<ArgumentException>(() => (ok with { MaxGradNorm = -1 }).Validate("testbed.pretrain")).Message);
        Assert.StartsWith("testbed.pretrain: 'warmup_steps' ",
            Assert.Throws<ArgumentException>(() => (ok with { WarmupSteps = -1 }).Validate("testbed.pretrain")).Message);
    }

    [Fact]
    public void Every_runtime_component_default_is_inside_its_declared_range()
    {
        var optionTypes = typeof(UnlearnOptions).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<ComponentAttribute>() is not null)
            .Select(t => t.GetConstructors().Single().GetParameters().Single().ParameterType)
            .Where(t => t.GetConstructor(Type.EmptyTypes) is not null)
            .Distinct()
            .ToList();
        Assert.Contains(typeof(GdOptions), optionTypes);
        foreach (var type in optionTypes)
        {
            Assert.Empty(OptionRanges.Problems(Activator.CreateInstance(type)!).Select(p => $"{type.Name}: {p}"));
        }
    }
}
