using DslUnlearn.Components;
using DslUnlearn.Torch;

namespace DslUnlearn.Methods;

/// <summary>IdK + KL: minimise NLL(forget question -> IdK answer) + retain_weight * KL(original || current) on retain.</summary>
[UnlearningMethod("idk_kl")]
public sealed class IdkKl : IUnlearningMethod
{
    private readonly IdkOptions _options;
    private IdkBatchBuilder? _builder;

    public IdkKl(IdkOptions options)
    {
        Losses.RejectForgetTricks(options, "idk_kl");
        _options = options;
    }

    public UnlearnOptions Options => _options;
    public bool NeedsReference => _options.RetainWeight > 0;
    public bool NeedsRetain => _options.RetainWeight > 0;

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        using var idk = IdkBatchBuilder.ForStep(ref _builder, step, _options.IdkAnswersFile, _options.IdkSeed, "idk_kl");
        var loss = Losses.RetainNll(step.Model, idk);
        if (_options.RetainWeight > 0)
            loss = loss.Plus(Losses.KlToReference(step.Model, Losses.RequireReference(step, "idk_kl"), Losses.RequireRetain(step, "idk_kl")).Times(_options.RetainWeight));
        return loss.MoveToOuterDisposeScope();
    }
}
