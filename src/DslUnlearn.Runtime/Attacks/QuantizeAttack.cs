using DslUnlearn.Components;
using DslUnlearn.Models;

namespace DslUnlearn.Attacks;

public enum QuantGranularity
{
    /// <summary>One scale per output row of each weight matrix.</summary>
    PerChannel,
    /// <summary>One scale per group of group_size consecutive input columns of each row.</summary>
    Group,
}

public record QuantizeOptions
{
    /// <summary>Bit width: 8 (int8) or 4; any width 2..8 works.</summary>
    [Option(Min = 2, Max = 8)]
    public int Bits { get; init; } = 8;
    /// <summary>per_channel or group.</summary>
    public QuantGranularity Granularity { get; init; } = QuantGranularity.PerChannel;
    /// <summary>Input columns per group (group granularity only; a shorter last group is allowed).</summary>
    [Option(Min = 1)]
    public int GroupSize { get; init; } = 32;
    /// <summary>Whether the LM head is quantized too (embeddings and norms never are).</summary>
    public bool IncludeLmHead { get; init; } = true;
}

/// <summary>
/// Quantization: symmetric round-to-nearest of every linear layer's weight to signed <c>bits</c>-bit
/// integers (int8: [-128, 127] with scale = max|w| / 127; 4-bit: [-8, 7], scale = max|w| / 7), per output
/// channel or per group of input columns, dequantized straight back to float so the model runs unchanged.
/// Simulated with plain tensor ops (TorchSharp's quantized matmul aborts the process). Every weight
/// moves by at most scale/2. The attacked model is a copy that belongs to the caller.
/// </summary>
[Attack("quantize")]
public sealed class QuantizeAttack : IAttack
{
    public QuantizeAttack(QuantizeOptions options)
    {
        if (options.Bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(options), options.Bits, "quantize.bits must be in 2..8 (8 = int8, 4 = 4-bit).");
        if (options.GroupSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.GroupSize, "quantize.group_size must be at least 1.");
        Options = options;
    }

    public QuantizeOptions Options { get; }

    public AttackResult Apply(AttackContext context)
    {
        var copy = context.Model.Clone();
        try
        {
            QuantizeInPlace(copy);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        return new AttackResult(copy, context.InputTransform);
    }

    /// <summary>Replaces the weights of <paramref name="model"/> by their quantized-dequantized values; returns the names changed.</summary>
    public IReadOnlyList<string> QuantizeInPlace(ICausalLM model)
    {
        var changed = new List<string>();
        using var noGrad = torch.no_grad();
        foreach (var (name, module) in model.Module.named_modules())
        {
            if (module is not TorchSharp.Modules.Linear linear) continue;
            if (!Options.IncludeLmHead && (name == "lm_head" || name.EndsWith(".lm_head", StringComparison.Ordinal))) continue;
            using var scope = torch.NewDisposeScope();
            var weight = linear.weight!;
            int group = Options.Granularity == QuantGranularity.PerChannel ? (int)weight.shape[1] : Options.GroupSize;
            var (dequantized, _) = FakeQuantize(weight, Options.Bits, group);
            weight.copy_(dequantized);
            changed.Add(name + ".weight");
        }
        if (changed.Count == 0)
            throw new InvalidOperationException($"quantize: the {model.Family} model has no linear layer to quantize.");
        return changed;
    }

    /// <summary>
    /// Round-to-nearest of a [rows, cols] matrix with one scale per row and group of <paramref name="groupSize"/>
    /// columns (groupSize = cols: per channel). Returns the dequantized matrix and the scales [rows, groups].
    /// </summary>
    public static (Tensor Dequantized, Tensor Scale) FakeQuantize(Tensor weight, int bits, int groupSize)
    {
        if (weight.dim() != 2) throw new Torch.ShapeMismatchException($"quantize: expected a [rows, cols] weight, got {Torch.SafeOps.Fmt(weight.shape)}.");
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "bits must be in 2..8.");
        if (groupSize < 1) throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "group size must be at least 1.");
        using var scope = torch.NewDisposeScope();
        long rows = weight.shape[0], cols = weight.shape[1];
        long groups = (cols + groupSize - 1) / groupSize;
        long padded = groups * groupSize;
        var w = weight.detach().to(ScalarType.Float32);
        if (padded != cols) w = nn.functional.pad(w, [0, padded - cols]); // zero columns: they change no max|w|
        var grouped = w.view(rows, groups, groupSize);
        double qmax = (1 << (bits - 1)) - 1, qmin = -(1 << (bits - 1));
        using Scalar qmaxS = qmax, qminS = qmin;
        var scale = grouped.abs().amax([-1], keepdim: true).div(qmaxS);
        scale = torch.where(scale.gt(Torch.HeldScalars.ZeroInt), scale, torch.ones_like(scale)); // an all-zero group stays zero
        var q = grouped.div(scale).round().clamp(qminS, qmaxS);
        var dequantized = q.mul(scale).view(rows, padded).narrow(1, 0, cols).to(weight.dtype).contiguous();
        return (dequantized.MoveToOuterDisposeScope(), scale.squeeze(-1).MoveToOuterDisposeScope());
    }
}
