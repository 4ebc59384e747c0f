namespace DslUnlearn.Generators.Dsl;

/// <summary>Binding of typed values that are more than a YAML scalar type: step counts (see <see cref="StepCountSyntax"/>).</summary>
internal sealed partial class SpecBinder
{
    /// <summary>A step-count key: a component option (ga's steps) or a section key (finetune.warmup_steps).</summary>
    private Bound BindStepCount(SpecKey key, YamlNode node, string label)
    {
        if (node is not YamlScalar s || s.IsNull || s.IsBoolean)
        {
            // Worded as every key words a wrong type.
            return WrongType(key, node, label);
        }

        return ParseStepCount(s, label, key.AllowsPercent, key.Range) is { } value ? new Bound(value, node.Span, true) : Bound.Failed(node.Span);
    }

    /// <summary>The step-count parse, checked against the declared range; null when reported.</summary>
    private SpecValue? ParseStepCount(YamlScalar scalar, string label, bool allowPercent, SpecRange? range)
    {
        var value = StepCountSyntax.Parse(scalar.Value, allowPercent, range?.Min, range?.MinExclusive ?? false, range?.Max, out var error);
        if (value is null)
        {
            Report(error!.Descriptor, scalar.Span, error.Arguments(label));
            return null;
        }

        return StepCountSyntax.ToSpecValue(value.Value);
    }
}
