using DslUnlearn.Components;

namespace DslUnlearn.Metrics;

public record NoOptions;

/// <summary>ES exact: extraction strength from the original question, one teacher-forced pass.</summary>
[Metric("es_exact")]
public sealed class EsExactMetric(NoOptions options) : IMetric
{
    public NoOptions Options => options;
    public MetricResult Compute(MetricContext c)
        => MetricResult.FromValues(Evaluator.Evaluate(c, c.Encoder.EncodeAll(c.Inputs)).EsExact);
}

/// <summary>EM: exact memorization, the share of answer tokens the model predicts greedily.</summary>
[Metric("em")]
public sealed class ExactMemorizationMetric(NoOptions options) : IMetric
{
    public NoOptions Options => options;
    public MetricResult Compute(MetricContext c)
        => MetricResult.FromValues(Evaluator.Evaluate(c, c.Encoder.EncodeAll(c.Inputs)).Em);
}
