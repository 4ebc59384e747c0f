using DslUnlearn.Components;

namespace DslUnlearn.Methods;

/// <summary>IdK-PO: minimise NLL(forget question -> IdK answer) + retain_weight * NLL(retain).</summary>
[UnlearningMethod("idk_po")]
public sealed class IdkPo : IUnlearningMethod
{
    private readonly IdkOptions _options;
    private IdkBatchBuilder? _builder;

    public IdkPo(IdkOptions options)
    {
        Losses.RejectForgetTricks(options, "idk_po");
        _options = options;
    }

    public UnlearnOptions Options => _options;
    public bool NeedsReference => false;
    public bool NeedsRetain => _options.RetainWeight > 0;

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        using var idk = IdkBatchBuilder.ForStep(ref _builder, step, _options.IdkAnswersFile, _options.IdkSeed, "idk_po");
        var loss = Losses.RetainNll(step.Model, idk);
        return Losses.PlusRetainNll(loss, step, _options.RetainWeight, "idk_po").MoveToOuterDisposeScope();
    }
}
