using DslUnlearn.Models;

namespace DslUnlearn.Attacks;

/// <summary>
/// Applies attacks in order: each one attacks the model the previous one produced, and input transforms
/// compose (the first attack's transform runs first). "Relearning followed by probing" is
/// <c>new AttackChain([relearn, probe])</c>. The chain owns every model its steps create: the returned model
/// (when it is not the input model) disposes them all, last first, so a probe view over a relearned copy
/// keeps that copy alive exactly as long as needed.
/// </summary>
public sealed class AttackChain : IAttack
{
    public AttackChain(IReadOnlyList<IAttack> attacks)
    {
        ArgumentNullException.ThrowIfNull(attacks);
        if (attacks.Count == 0) throw new ArgumentException("An attack chain needs at least one attack.", nameof(attacks));
        for (int i = 0; i < attacks.Count; i++)
            if (attacks[i] is null) throw new ArgumentException($"Attack #{i + 1} of the chain is null.", nameof(attacks));
        Attacks = attacks.ToArray();
    }

    public IReadOnlyList<IAttack> Attacks { get; }

    public AttackResult Apply(AttackContext context)
    {
        var created = new List<ICausalLM>();
        var model = context.Model;
        var transform = context.InputTransform;
        try
        {
            foreach (var attack in Attacks)
            {
                var result = attack.Apply(context with { Model = model, InputTransform = transform });
                if (!ReferenceEquals(result.Model, model) && !ReferenceEquals(result.Model, context.Model) && !created.Contains(result.Model))
                    created.Add(result.Model);
                model = result.Model;
                transform = result.InputTransform ?? transform;
            }
        }
        catch
        {
            for (int i = created.Count - 1; i >= 0; i--) created[i].Dispose();
            throw;
        }
        if (created.Count == 0) return new AttackResult(context.Model, transform);
        if (created.Count == 1 && ReferenceEquals(created[0], model)) return new AttackResult(model, transform);
        created.Remove(model);
        return new AttackResult(new OwningModel(model, created), transform);
    }
}

/// <summary>
/// Forwards every call to <see cref="ForwardingCausalLM.Inner"/>; disposing it disposes Inner, then the models Inner depends on
/// (newest first). Used by <see cref="AttackChain"/> when a step returns a view over an earlier step's copy.
/// </summary>
public sealed class OwningModel(ICausalLM inner, IReadOnlyList<ICausalLM> dependencies) : ForwardingCausalLM(inner)
{
    private readonly ICausalLM[] _dependencies = dependencies.ToArray();
    private bool _disposed;

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Inner.Dispose();
        for (int i = _dependencies.Length - 1; i >= 0; i--) _dependencies[i].Dispose();
    }
}
