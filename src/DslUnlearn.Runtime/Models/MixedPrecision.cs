using TorchSharp.Modules;

namespace DslUnlearn.Models;

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
        Enabled = compute != ModelPrecision.DtypeOf(master);
        if (Enabled && ModelPrecision.DtypeOf(master) != ScalarType.Float32)
            throw new ArgumentException($"mixed precision needs float32 master weights, got {ModelPrecision.DtypeOf(master)}.", nameof(master));
        Compute = Enabled ? ModelPrecision.Cast(master.Clone(), compute) : master;
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
