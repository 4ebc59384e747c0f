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

        var value = StepCountSyntax.Parse(s.Value, option.AllowsPercent, option.Min, option.MinExclusive, option.Max, out var error);
        if (value is null)
        {
            Report(error!.Descriptor, node.Span, error.Arguments($"'{option.Key}'"));
            return null;
        }

        return StepCountSyntax.ToSpecValue(value.Value);
    }

    /// <summary>A step-count key of a schema section (finetune.warmup_steps).</summary>
    private Bound BindStepCount(SpecKey key, YamlNode node, string label)
    {
        if (node is not YamlScalar s || s.IsNull || s.IsBoolean)
        {
            return WrongType(key, node, label);
        }

        var range = key.Range;
        var value = StepCountSyntax.Parse(s.Value, allowPercent: true, range?.Min, range?.MinExclusive ?? false, range?.Max, out var error);
        if (value is null)
        {
            Report(error!.Descriptor, node.Span, error.Arguments(label));
            return Bound.Failed(node.Span);
        }

        return new Bound(StepCountSyntax.ToSpecValue(value.Value), node.Span, true);
    }
}
