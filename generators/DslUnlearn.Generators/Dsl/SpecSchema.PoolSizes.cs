using System.Collections.Generic;
using System.Linq;

namespace DslUnlearn.Generators.Dsl;

/// <summary>The rules of <c>meta_eval.faithfulness.sizes</c> against <c>model:</c>: <see cref="PoolSizeRules"/>, which the runtime applies too.</summary>
internal sealed partial class SpecSchema
{
    /// <summary>Each refused size at its item's line (DSLU0017); as at run time, only when a metric is measured on forget.</summary>
    private static SpecCheck PoolSizesCheck() => new(new[] { "model", "meta_eval", "metrics" }, new[] { "meta_eval", "model" }, v =>
    {
        if (v.Value("model") is not SpecObject model
            || v.Value("meta_eval") is not SpecObject metaEval
            || metaEval.Get("Faithfulness") is not SpecObject faithfulness
            || faithfulness.Get("Sizes") is not SpecList { Items.Count: > 0 } sizes
            || v.Value("metrics") is not SpecList metrics
            || !metrics.Items.OfType<SpecObject>().Any(m => m.Get("Splits") is SpecList splits && splits.Items.Any(s => s is SpecEnum { Name: "forget" })))
        {
            return Enumerable.Empty<SpecRuleBreak>();
        }

        var overrides = sizes.Items.OfType<SpecObject>().Select(z => (IntOf(z, "HiddenSize"), IntOf(z, "Layers"), IntOf(z, "IntermediateSize"))).ToList();
        return PoolSizeRules.Problems(IntOf(model, "HiddenSize") ?? 0, IntOf(model, "Layers") ?? 0, IntOf(model, "IntermediateSize") ?? 0,
                IntOf(model, "Heads") ?? 0, IntOf(model, "KvHeads") ?? 0, (model.Get("Checkpoint") as SpecString)?.Value, overrides)
            .Select(p => p.Index < 0
                ? new SpecRuleBreak(p.Message, "meta_eval", "faithfulness", "sizes")
                : new SpecRuleBreak(p.Message, "meta_eval", "faithfulness", "sizes", p.Index));
    });

    private static int? IntOf(SpecObject o, string property) => o.Get(property) is SpecInt i ? i.Value : null;
}
