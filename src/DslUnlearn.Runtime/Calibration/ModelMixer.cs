using DslUnlearn.Models;

namespace DslUnlearn.Calibration;

/// <summary>
/// Writes theta(alpha) = (1 - alpha) theta_ref + alpha theta_unlearned into the unlearned model's own
/// parameters, in place. It keeps exactly one extra copy of the weights (the unlearned ones, taken at
/// construction) and allocates nothing else that outlives one parameter's update. alpha = 0 gives the
/// reference weights bit for bit and alpha = 1 the unlearned ones (the update is lerp's two-sided formula,
/// exact at both ends). <see cref="Dispose"/> restores the unlearned weights exactly and frees the copy.
/// </summary>
public sealed class ModelMixer : IDisposable
{
    private readonly (Tensor Target, Tensor Reference, Tensor Saved)[] _params;
    private bool _disposed;

    public ModelMixer(ICausalLM reference, ICausalLM unlearned)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(unlearned);
        if (ReferenceEquals(reference, unlearned) || ReferenceEquals(reference.Module, unlearned.Module))
            throw new ArgumentException("model mixing: the reference and the unlearned model are the same object; pass the model before unlearning as the reference.");
        var refParams = reference.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var unlParams = unlearned.Module.named_parameters().ToList();
        var problems = new List<string>();
        foreach (var (name, p) in unlParams)
        {
            if (!refParams.TryGetValue(name, out var r)) problems.Add($"'{name}' is missing from the reference model");
            else if (!r.shape.SequenceEqual(p.shape)) problems.Add($"'{name}' has shape {Torch.SafeOps.Fmt(r.shape)} in the reference and {Torch.SafeOps.Fmt(p.shape)} in the unlearned model");
            else if (r.dtype != p.dtype || r.device.ToString() != p.device.ToString()) problems.Add($"'{name}' is {r.dtype} on {r.device} in the reference and {p.dtype} on {p.device} in the unlearned model");
        }
        foreach (var name in refParams.Keys.Except(unlParams.Select(p => p.name))) problems.Add($"'{name}' is missing from the unlearned model");
        if (problems.Count > 0)
            throw new ArgumentException("model mixing needs two models of one architecture:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Take(10).Select(p => "  - " + p)));

        var list = new List<(Tensor, Tensor, Tensor)>(unlParams.Count);
        using (torch.no_grad())
        {
            foreach (var (name, p) in unlParams)
            {
                using var scope = torch.NewDisposeScope();
                var saved = p.detach().clone();
                saved.DetachFromDisposeScope(); // owned by the mixer, freed in Dispose
                list.Add((p, refParams[name], saved));
            }
        }
        _params = list.ToArray();
    }

    /// <summary>The alpha currently in the unlearned model's parameters (1 at the start).</summary>
    public double Alpha { get; private set; } = 1.0;

    /// <summary>Number of parameter tensors mixed.</summary>
    public int ParameterCount => _params.Length;

    /// <summary>Sets the unlearned model's weights to theta(alpha).</summary>
    public void SetAlpha(double alpha)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!(alpha is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie in [0, 1].");
        using var noGrad = torch.no_grad();
        using Scalar weight = alpha < 0.5 ? alpha : 1 - alpha;
        foreach (var (target, reference, saved) in _params)
        {
            if (alpha == 0) target.copy_(reference);
            else if (alpha == 1) target.copy_(saved);
            else if (alpha < 0.5)
                target.copy_(saved).sub_(reference).mul_(weight).add_(reference, Torch.HeldScalars.OneInt);    // ref + alpha (unl - ref)
            else
                target.copy_(reference).sub_(saved).mul_(weight).add_(saved, Torch.HeldScalars.OneInt);        // unl - (1 - alpha)(unl - ref)
        }
        Alpha = alpha;
    }

    /// <summary>Puts the unlearned weights back (bit-identical) and frees the saved copy.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        using (torch.no_grad())
            foreach (var (target, _, saved) in _params) target.copy_(saved);
        foreach (var (_, _, saved) in _params) saved.Dispose();
        Alpha = 1.0;
        _disposed = true;
    }
}
