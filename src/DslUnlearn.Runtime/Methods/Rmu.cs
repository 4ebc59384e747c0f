using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

public record RmuOptions : UnlearnOptions
{
    /// <summary>Decoder layer whose output is steered (1 = first layer's output, NumLayers = last; hidden_states[layer]).</summary>
    [Option(Min = 1)]
    public int Layer { get; init; } = 1;
    /// <summary>Scale c of the random unit direction the forget activations are pushed to.</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double SteeringCoeff { get; init; } = 6.5;
    /// <summary>Weight of the retain activation-matching term.</summary>
    [Option(Min = 0)]
    public double Alpha { get; init; } = 100.0;
    /// <summary>Seed of the random direction.</summary>
    [Option(Min = 0)]
    public int DirectionSeed { get; init; }
}

/// <summary>
/// RMU (representation misdirection): at decoder layer l, push the forget activations toward c * u (u a fixed
/// random unit vector) and keep the retain activations at the frozen model's:
/// mean_forget ||h_l - c u||^2 / d + alpha * mean_retain ||h_l - h_l^frozen||^2 / d, over the labelled
/// (answer) positions. Needs the frozen original for the retain term; has no forget NLL term.
/// </summary>
[UnlearningMethod("rmu")]
public sealed class Rmu : IUnlearningMethod
{
    private readonly RmuOptions _options;

    public Rmu(RmuOptions options)
    {
        Losses.RejectForgetTricks(options, "rmu");
        _options = options;
    }

    public UnlearnOptions Options => _options;
    public bool NeedsReference => _options.Alpha > 0;
    public bool NeedsRetain => _options.Alpha > 0;

    /// <summary>The fixed direction c * u: u uniform in [0,1)^d from direction_seed, normalised to length 1.</summary>
    public static Tensor ControlVector(int hidden, double coeff, int seed, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var u = torch.rand([hidden], generator: gen, dtype: ScalarType.Float32);
        return (u / u.norm() * coeff).to(device).MoveToOuterDisposeScope();
    }

    public Tensor Loss(UnlearnStep step)
    {
        var model = step.Model;
        if (_options.Layer > model.NumLayers)
            throw new ArgumentException($"unlearn '{_options.Name ?? "rmu"}' (method rmu): layer {_options.Layer} does not exist; the model has {model.NumLayers} decoder layers, so layer must be in 1..{model.NumLayers}.");
        using var scope = torch.NewDisposeScope();
        // Rebuilt each step from its seed (d numbers): the same direction every step, nothing cached to leak.
        var control = ControlVector(model.HiddenSize, _options.SteeringCoeff, _options.DirectionSeed, step.Forget.InputIds.device);
        var forgetH = Hidden(model, step.Forget.InputIds);
        var loss = MaskedMse(forgetH, control.expand_as(forgetH), step.Forget);
        if (_options.Alpha > 0)
        {
            var retain = Losses.RequireRetain(step, "rmu");
            var reference = Losses.RequireReference(step, "rmu");
            Tensor frozenH;
            using (torch.no_grad()) frozenH = Hidden(reference, retain.InputIds);
            loss = loss + _options.Alpha * MaskedMse(Hidden(model, retain.InputIds), frozenH, retain);
        }
        return loss.MoveToOuterDisposeScope();
    }

    private Tensor Hidden(ICausalLM model, Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        using var output = model.Forward(ids, outputHiddenStates: true);
        return output.HiddenStates![_options.Layer].alias().MoveToOuterDisposeScope();
    }

    /// <summary>Mean over labelled positions and hidden units of (a - b)^2.</summary>
    internal static Tensor MaskedMse(Tensor a, Tensor b, TokenBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        var mask = batch.Labels.ne(TokenBatch.IgnoreIndex).to_type(ScalarType.Float32);
        var perPosition = (a - b).pow(2).mean([-1]);
        return ((perPosition * mask).sum() / mask.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }
}
