namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Metric needs as build errors: a metric whose runtime attribute declares <c>Needs</c> (the oracle, a holdout, TOFU's
/// auxiliary splits) that the spec does not provide is reported at the metric's line, naming the key that would provide
/// it (OU users meet these mid-run). The run checks the same again (Engine/MetricNeedsCheck.cs).
/// </summary>
internal sealed partial class SpecBinder
{
    /// <summary>Metrics named in the spec being bound (metrics items and calibration metrics), with their lines.</summary>
    private readonly List<(ComponentInfo Metric, SourceSpan Span)> _metricUses = new();

    /// <summary>Reports every unmet need; false when there was one.</summary>
    private bool CheckMetricNeeds(SpecObject spec)
    {
        var provided = Provided(spec);
        var ok = true;
        var reported = new HashSet<(string, int)>();
        foreach (var (metric, span) in _metricUses)
        {
            foreach (var need in MetricNeedsText.All)
            {
                if ((metric.Needs & need) != 0 && (provided & need) == 0 && reported.Add((metric.Name + "@" + span.StartOffset, need)))
                {
                    Report(SpecDescriptors.MetricInputMissing, span, MetricNeedsText.For(metric.Name, need));
                    ok = false;
                }
            }
        }

        return ok;
    }

    /// <summary>What the bound spec provides: the oracle (finetune.oracle), a holdout (data.holdout, data.holdout_authors &gt; 0,
    /// or the synthetic default of as many holdout authors as forget authors), TOFU's auxiliary splits (data.source: tofu, or biographies with testbed.auxiliary_splits).</summary>
    private static int Provided(SpecObject spec)
    {
        var provided = 0;
        if (spec.Get("Finetune") is SpecObject finetune && finetune.Get("Oracle") is SpecBool { Value: true })
        {
            provided |= MetricNeedsText.Oracle;
        }

        if (spec.Get("Data") is SpecObject data)
        {
            var synthetic = data.Get("Source") is SpecEnum { Name: "synthetic" };
            var holdoutAuthors = data.Get("HoldoutAuthors");
            if (data.Get("Holdout") is SpecString || holdoutAuthors is SpecInt { Value: > 0 } || (synthetic && holdoutAuthors is SpecNull))
            {
                provided |= MetricNeedsText.Holdout;
            }

            if (data.Get("Source") is SpecEnum { Name: "tofu" }
                || (data.Get("Source") is SpecEnum { Name: "biographies" } && spec.Get("Testbed") is SpecObject testbed && testbed.Get("AuxiliarySplits") is SpecBool { Value: true }))
            {
                provided |= MetricNeedsText.AuxiliarySplits;
            }
        }

        return provided;
    }
}
