using DslUnlearn.Models;
using DslUnlearn.Specs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DslUnlearn.Torch;

/// <summary>
/// The one place that maps <c>model.dtype</c> to libtorch and that decides what stays in float32:
/// logits and hidden states leave a model as float32 (so log-softmax, NLL sums, KL and every metric
/// reduction run in float32/float64 whatever the compute dtype), and 16-bit training keeps float32 master
/// weights (<see cref="MixedPrecision"/>).
/// </summary>
public static class Precision
{
    public static ScalarType ScalarTypeOf(ModelDtype dtype) => dtype switch
    {
        ModelDtype.Float32 => ScalarType.Float32,
        ModelDtype.Bfloat16 => ScalarType.BFloat16,
        ModelDtype.Float16 => ScalarType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "model.dtype must be float32, bfloat16 or float16."),
    };

    /// <summary>The YAML name (float32, bfloat16, float16).</summary>
    public static string Name(ModelDtype dtype) => dtype.ToString().ToLowerInvariant();

    /// <summary>Bytes per element of the compute dtype.</summary>
    public static int Bytes(ModelDtype dtype) => dtype == ModelDtype.Float32 ? 4 : 2;

    /// <summary><paramref name="t"/> itself when float32 or float64, else a float32 copy (in the caller's scope).</summary>
    public static Tensor Float32(Tensor t) => t.dtype is ScalarType.Float32 or ScalarType.Float64 ? t : t.to(ScalarType.Float32);

    /// <summary>The dtype of the model's floating-point parameters.</summary>
    public static ScalarType DtypeOf(ICausalLM model) => model.Module.parameters().First().dtype;

    /// <summary>Casts the model's parameters (and float buffers) to <paramref name="dtype"/> in place; a no-op for float32 models asked for float32.</summary>
    public static ICausalLM Cast(ICausalLM model, ScalarType dtype)
    {
        if (DtypeOf(model) != dtype) model.Module.to(dtype);
        return model;
    }
}

/// <summary>
/// Mixed-precision training: a 16-bit compute twin of a float32 master model. Forward and backward run on
/// <see cref="Compute"/>; <see cref="GradientsToMaster"/> moves each 16-bit gradient into a float32 gradient of
/// the master (freeing the 16-bit one), the optimizer steps the master, and <see cref="MasterToCompute"/>
/// rounds the updated weights back. With float32 compute there is no twin: <see cref="Compute"/> is the master
/// and both calls do nothing, so float32 runs are bit-identical to runs without this class.
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    private readonly Parameter[] _master, _compute;

    public ICausalLM Master { get; }
    public ICausalLM Compute { get; }
    public bool Enabled { get; }

    public MixedPrecision(ICausalLM master, ScalarType compute)
    {
        Master = master;
        Enabled = compute != Precision.DtypeOf(master);
        if (Enabled && Precision.DtypeOf(master) != ScalarType.Float32)
            throw new ArgumentException($"mixed precision needs float32 master weights, got {Precision.DtypeOf(master)}.", nameof(master));
        Compute = Enabled ? Precision.Cast(master.Clone(), compute) : master;
        Compute.Module.train(master.Module.training);
        _master = master.Module.parameters().ToArray();
        _compute = Compute.Module.parameters().ToArray();
        for (int i = 0; i < _master.Length; i++) _compute[i].requires_grad = _master[i].requires_grad;
    }

    /// <summary>Sets train/eval on both models.</summary>
    public void Train(bool on)
    {
        Master.Module.train(on);
        if (Enabled) Compute.Module.train(on);
    }

    /// <summary>master.grad = float32(compute.grad); compute.grad = none. Call after backward, before clipping and the step.</summary>
    public void GradientsToMaster()
    {
        if (!Enabled) return;
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _master.Length; i++)
        {
            using var g = _compute[i].grad;
            if (g is null) continue;
            using var g32 = g.to(ScalarType.Float32);
            _master[i].grad = g32;   // the parameter keeps its own reference; the wrappers are disposed here
            _compute[i].grad = null;
        }
    }

    /// <summary>Copies the (updated) master weights into the compute twin, rounding to its dtype.</summary>
    public void MasterToCompute()
    {
        if (!Enabled) return;
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _master.Length; i++) _compute[i].copy_(_master[i]);
    }

    public void Dispose()
    {
        if (Enabled) Compute.Dispose();
    }
}
