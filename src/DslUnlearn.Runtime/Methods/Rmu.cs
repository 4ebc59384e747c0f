using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

public record RmuOptions : UnlearnOptions
{
    /// <summary>Layer whose output is steered, counted as layer_indexing says (default: hidden_states[layer], 1 = first
    /// decoder layer's output, NumLayers = last).</summary>
    [Option(Min = 0)]
    public int Layer { get; init; } = 1;
    /// <summary>hidden_states (UWC's <c>outputs.hidden_states[emb_idx]</c>: 0 = embeddings, i = output of decoder layer i)
    /// or wmdp (WMDP's layer_id: the output of <c>model.layers[layer]</c>, 0-based, i.e. hidden_states[layer + 1]).</summary>
    public string LayerIndexing { get; init; } = "hidden_states";
    /// <summary>Scale c of the random direction the forget activations are pushed to.</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double SteeringCoeff { get; init; } = 6.5;
    /// <summary>unit (WMDP: c * u / |u|, u uniform in [0,1)^d) or raw (UWC: c * u, not normalised).</summary>
    public string Steering { get; init; } = "unit";
    /// <summary>activations (WMDP: alpha * MSE to the frozen model's activations at the layer), kl (UWC's rmu_*_kl:
    /// alpha * KL(original || current) on the retain batch, UWC uses alpha 1) or none (UWC's rmu_*: forget term only).</summary>
    public string RetainLoss { get; init; } = "activations";
    /// <summary>Weight of the retain term.</summary>
    [Option(Min = 0)]
    public double Alpha { get; init; } = 100.0;
    /// <summary>Seed of the random direction.</summary>
    [Option(Min = 0)]
    public int DirectionSeed { get; init; }
}

/// <summary>
/// RMU (representation misdirection): at one layer, push the forget activations toward a fixed random vector and,
/// with a retain term, keep the model close to the frozen original on the retain batch:
/// mean_forget ||h - target||^2 / d + alpha * retain, over the labelled (answer) positions. The WMDP form
/// (default: unit direction, activation retain term, as WMDP's rmu/unlearn.py) and UWC's variant
/// (tmlr-group/Unlearning-with-Control dataloader.py, rmu_&lt;layer&gt;[_kl]: <c>torch.rand(1, 1, d) * c</c> unnormalised,
/// <c>hidden_states[layer]</c>, retain term KL or none) are both options. One difference stays: at layer = NumLayers,
/// Hugging Face's hidden_states holds the output after the final norm, this runtime's the output before it.
/// Has no forget NLL term.
/// </summary>
[UnlearningMethod("rmu")]
public sealed class Rmu : IUnlearningMethod
{
    public static readonly IReadOnlyList<string> Steerings = ["unit", "raw"];
    public static readonly IReadOnlyList<string> RetainLosses = ["activations", "kl", "none"];
    public static readonly IReadOnlyList<string> LayerIndexings = ["hidden_states", "wmdp"];
    private readonly RmuOptions _options;

    public Rmu(RmuOptions options)
    {
        Losses.RejectForgetTricks(options, "rmu");
        string who = $"unlearn '{options.Name ?? "rmu"}' (method rmu)";
        OptionChoice.Require(who, "steering", options.Steering, Steerings);
        OptionChoice.Require(who, "retain_loss", options.RetainLoss, RetainLosses);
        OptionChoice.Require(who, "layer_indexing", options.LayerIndexing, LayerIndexings);
        _options = options;
    }

    public UnlearnOptions Options => _options;
    private bool HasRetainTerm => _options.Alpha > 0 && _options.RetainLoss != "none";
    public bool NeedsReference => HasRetainTerm;
    public bool NeedsRetain => HasRetainTerm;

    /// <summary>Index into hidden_states of the steered layer.</summary>
    public int HiddenIndex => _options.LayerIndexing == "wmdp" ? _options.Layer + 1 : _options.Layer;

    /// <summary>The fixed target: c * u, u uniform in [0,1)^d from direction_seed, normalised to length 1 unless <paramref name="raw"/>.</summary>
    public static Tensor ControlVector(int hidden, double coeff, int seed, Device device, bool raw = false)
    {
        using var scope = torch.NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var u = torch.rand([hidden], generator: gen, dtype: ScalarType.Float32);
        return (raw ? u : u / u.norm()).Times(coeff).to(device).MoveToOuterDisposeScope();
    }

    public Tensor Loss(UnlearnStep step)
    {
        var model = step.Model;
        if (HiddenIndex > model.NumLayers)
            throw new ArgumentException($"unlearn '{_options.Name ?? "rmu"}' (method rmu): layer {_options.Layer} does not exist; the model has {model.NumLayers} decoder layers, so layer must be in "
                + (_options.LayerIndexing == "wmdp" ? $"0..{model.NumLayers - 1} with layer_indexing wmdp." : $"0..{model.NumLayers} (0 = embeddings)."));
        using var scope = torch.NewDisposeScope();
        // Rebuilt each step from its seed (d numbers): the same direction every step, nothing cached to leak.
        var control = ControlVector(model.HiddenSize, _options.SteeringCoeff, _options.DirectionSeed, step.Forget.InputIds.device, _options.Steering == "raw");
        var forgetH = Hidden(model, step.Forget.InputIds);
        var loss = MaskedMse(forgetH, control.expand_as(forgetH), step.Forget);
        if (HasRetainTerm)
        {
            var retain = Losses.RequireRetain(step, "rmu");
            var reference = Losses.RequireReference(step, "rmu");
            if (_options.RetainLoss == "kl")
                loss = loss.Plus(Losses.KlToReference(model, reference, retain).Times(_options.Alpha));
            else
            {
                Tensor frozenH;
                using (torch.no_grad()) frozenH = Hidden(reference, retain.InputIds);
                loss = loss.Plus(MaskedMse(Hidden(model, retain.InputIds), frozenH, retain).Times(_options.Alpha));
            }
        }
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The steered hidden state; the layers after it and the head are not run (they do not enter the loss).</summary>
    private Tensor Hidden(ICausalLM model, Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        return model.HiddenStatesUpTo(ids, null, null, HiddenIndex)[HiddenIndex].alias().MoveToOuterDisposeScope();
    }

    /// <summary>Mean over labelled positions and hidden units of (a - b)^2.</summary>
    internal static Tensor MaskedMse(Tensor a, Tensor b, TokenBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        var mask = batch.Labels.ne(TokenBatch.IgnoreIndexScalar).to_type(ScalarType.Float32);
        var perPosition = (a - b).pow(Torch.HeldScalars.TwoInt).mean([-1]);
        return ((perPosition * mask).sum() / mask.sum().clamp_min(Torch.HeldScalars.OneInt)).MoveToOuterDisposeScope();
    }
}
