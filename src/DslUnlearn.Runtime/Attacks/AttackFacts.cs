using DslUnlearn.Components;

namespace DslUnlearn.Attacks;

/// <summary>What an attack's attribute declares about it (see <see cref="AttackAttribute"/>).</summary>
public static class AttackFacts
{
    /// <summary>True when the attack changes only how the model is asked or read, not what its weights know.</summary>
    public static bool PreservesKnowledge(IAttack attack) => ComponentFacts.Of<AttackAttribute>(attack)?.PreservesKnowledge ?? false;
}
