using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using DslUnlearn.Components;

namespace DslUnlearn.Tests.Engine;

/// <summary>A per-sample metric whose aggregate is deliberately not the mean of its values (as truth ratio's is not).</summary>
[Metric("test_max_es")]
public sealed class MaxEsTestMetric(NoOptions options) : IMetric
{
    public NoOptions Options => options;
    public MetricResult Compute(MetricContext c)
    {
        var es = new EsExactMetric(new NoOptions()).Compute(c).ValueByIndex!;
        return new MetricResult(es.Max() + 0.125, es);
    }
}

/// <summary>An aggregate-only metric (as forget_quality and privleak are): no per-sample values.</summary>
[Metric("test_aggregate_only")]
public sealed class AggregateOnlyTestMetric(NoOptions options) : IMetric
{
    public NoOptions Options => options;
    public MetricResult Compute(MetricContext c) => new(0.25 + c.Examples.Count, null);
}

/// <summary>
/// Every metric component, run through the staged pipeline (evaluate stage -> eval.json -> report -> results.json and
/// tables/summary.csv), must be reported as its own <see cref="MetricResult.AggValue"/>, recomputed here directly on the
/// stored models. Catches any path that drops a metric's aggregate (e.g. by re-averaging per-sample values).
/// </summary>
[Collection(EngineCollection.Name)]
public class MetricAggregateTests
{
    /// <summary>Metrics that cannot run in this pipeline yet, each with why (a new metric is included automatically).</summary>
    private static readonly Dictionary<string, string> Excluded = new()
    {
        ["model_utility"] = "needs TOFU's real_authors and world_facts, which the built-in data has no counterpart of (RunInputsTests and the TOFU protocol tests cover it)",
    };

    private static List<MetricSpec> EveryMetric()
    {
        var specs = new List<MetricSpec>();
        foreach (var type in typeof(IMetric).Assembly.GetTypes().Where(t => t.GetCustomAttribute<MetricAttribute>() is not null).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            string name = type.GetCustomAttribute<MetricAttribute>()!.Name;
            if (Excluded.ContainsKey(name)) continue;
            var ctor = type.GetConstructors().Single();
            var options = Activator.CreateInstance(ctor.GetParameters().Single().ParameterType)!;
            // Short generations keep the test quick; the generation length does not change how the aggregate is reported.
            options.GetType().GetProperty("MaxNewTokens")?.SetValue(options, 16);
            specs.Add(new MetricSpec { Name = name, Metric = (IMetric)ctor.Invoke([options]), Splits = TestSpecs.BothSplits });
        }
        specs.Add(new MetricSpec { Name = "test_max_es", Metric = new MaxEsTestMetric(new NoOptions()), Splits = TestSpecs.BothSplits });
        specs.Add(new MetricSpec { Name = "test_aggregate_only", Metric = new AggregateOnlyTestMetric(new NoOptions()), Splits = TestSpecs.BothSplits });
        return specs;
    }

    [Fact]
    public void Every_metric_is_reported_as_its_own_aggregate_in_results_json_and_the_summary_table()
    {
        using var dir = new TempDir();
        var tiny = TestSpecs.Tiny(dir.Path, epochs: 2);
        var metrics = EveryMetric();
        Assert.True(metrics.Count >= 20, $"only {metrics.Count} metrics found");
        var spec = tiny with
        {
            Name = "every-metric",
            Data = tiny.Data with { Authors = 3, QaPerAuthor = 2, ForgetAuthors = 1 },
            Finetune = tiny.Finetune with { Oracle = true },
            Unlearn = [tiny.Unlearn[0] with { Method = new DslUnlearn.Methods.GradientAscent(new DslUnlearn.Methods.GaOptions { Lr = 1e-3, Steps = 2, BatchSize = 4 }) }],
            Metrics = [.. metrics],
        };
        var run = StagedExperimentRunner.Run(spec, new RunOptions());
        using var json = JsonDocument.Parse(File.ReadAllBytes(run.Result.ResultsJsonPath));
        var csv = File.ReadAllLines(Path.Combine(run.Result.OutputDirectory, "tables", "summary.csv"));
        var header = csv[0].Split(',');
        var rows = csv.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0]);

        var keys = run.Stages.ToDictionary(s => s.Id, s => s.Key);
        var store = ArtifactStore.ForOutputRoot(dir.Path);
        var source = RunInputs.ModelSource(spec);
        var data = RunInputs.LoadData(spec);
        var encoder = new QaEncoder(source.Tokenizer, spec.Prompt);
        using var oracle = Load(store, keys[StageIds.Oracle], source);
        var checkedValues = 0;
        var notMean = new HashSet<string>();
        // Every evaluate stage runs the same code; two models (one fine-tuned, one unlearned) keep the recomputation short.
        foreach (var (model, stage) in new[] { ("target", StageIds.Target), ("ga", StageIds.Unlearn("ga")) })
        {
            using var m = Load(store, keys[stage], source);
            foreach (var metric in spec.Metrics)
                foreach (var split in metric.Splits)
                {
                    manual_seed(spec.Seed); // as the engine seeds every stage; the stage computed the metrics in this order
                    var own = metric.Metric.Compute(MetricContext.ForSplit(m, encoder, data, split, CPU, MetricEvaluation.BatchSize, oracle));
                    string s = SpecNames.Of(split);
                    var node = json.RootElement.GetProperty("models").GetProperty(model).GetProperty(metric.Name).GetProperty(s).GetProperty("agg_value");
                    string where = $"{metric.Name} on {model}/{s}";
                    if (double.IsFinite(own.AggValue))
                    {
                        Assert.True(node.ValueKind == JsonValueKind.Number, $"{where}: results.json has {node.ValueKind}, the metric computed {own.AggValue}");
                        Assert.True(own.AggValue == node.GetDouble(), $"{where}: results.json has {node.GetDouble():R}, the metric's own aggregate is {own.AggValue:R}");
                        string cell = rows[model][Array.IndexOf(header, $"{metric.Name}_{s}_mean")];
                        Assert.True(own.AggValue == double.Parse(cell, CultureInfo.InvariantCulture), $"{where}: summary.csv has {cell}, the metric's own aggregate is {own.AggValue:R}");
                    }
                    else Assert.Equal(JsonValueKind.Null, node.ValueKind);
                    if (own.ValueByIndex is not { Count: > 0 } v || Math.Abs(v.Average() - own.AggValue) > 1e-9) notMean.Add(metric.Name);
                    checkedValues++;
                }
        }
        Assert.Equal(2 * spec.Metrics.Length * 2, checkedValues);
        // The check has teeth: these aggregates differ from the mean of their per-sample values.
        Assert.Contains("test_max_es", notMean);
        Assert.Contains("test_aggregate_only", notMean);
        Assert.Contains("truth_ratio", notMean);
        Assert.Contains("forget_quality", notMean);
        Assert.Contains("mia_loss", notMean);           // its aggregate is the AUC against the holdout
        Assert.Contains("privleak", notMean);
    }

    private static DslUnlearn.Models.ICausalLM Load(ArtifactStore store, string key, RunInputs.ModelSourceInfo source)
    {
        var model = source.CreateEmpty();
        using (var f = File.OpenRead(store.Open(key).PathOf(TorchSharpModelFormat.Instance.FileName))) TorchSharpModelFormat.Instance.Load(model.Module, f);
        model.Module.eval();
        return model;
    }
}
