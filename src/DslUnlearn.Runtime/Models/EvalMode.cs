namespace DslUnlearn.Models;

/// <summary>
/// Eval mode (dropout off) for as long as it lives, then the mode the module had before:
/// <c>using var eval = new EvalMode(model.Module);</c>. Scoring, generating and gradient-norm passes run this way on a
/// model the caller may be training.
/// </summary>
public readonly struct EvalMode : IDisposable
{
    private readonly nn.Module _module;
    private readonly bool _wasTraining;

    public EvalMode(nn.Module module)
    {
        _module = module;
        _wasTraining = module.training;
        module.eval();
    }

    public void Dispose()
    {
        if (_wasTraining) _module.train();
    }
}
