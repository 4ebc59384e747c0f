namespace DslUnlearn.Generators.Dsl;

/// <summary>Binding of typed values that are more than a YAML scalar type: step counts (see <see cref="StepCountSyntax"/>).</summary>
internal sealed partial class SpecBinder
{
    /// <summary>A step-count option: <c>10</c>, <c>"2 epochs"</c>, <c>"10%"</c>; null when reported (at the value's line).</summary>
    private SpecValue? BindStepCount(ComponentOption option, YamlNode node)
    {
        if (node is not YamlScalar s || s.IsNull || s.IsBoolean)
        {
            Report(SpecDescriptors.WrongType, node.Span, $"'{option.Key}' expects {option.Expected}, got {node.Describe()}");
            return null;
        }

        return ParseStepCount(s, $"'{option.Key}'", option.AllowsPercent, option.Range);
    }

    /// <summary>A step-count key of a schema section (finetune.warmup_steps).</summary>
    private Bound BindStepCount(SpecKey key, YamlNode node, string label)
    {
        if (node is not YamlScalar s || s.IsNull || s.IsBoolean)
        {
            // Section keys word a wrong type (and a list, an experiment sweep's hint) as every section key does.
            return WrongType(key, node, label);
        }

        return ParseStepCount(s, label, allowPercent: true, key.Range) is { } value ? new Bound(value, node.Span, true) : Bound.Failed(node.Span);
    }

    /// <summary>The one step-count parse of both key kinds, checked against the declared range; null when reported.</summary>
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
