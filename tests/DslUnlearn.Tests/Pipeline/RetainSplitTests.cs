using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using DslUnlearn.Calibration;
using DslUnlearn.Methods;
using DslUnlearn.Tests.Engine;

namespace DslUnlearn.Tests.Pipeline;

/// <summary>
/// The retain rows retain terms train on are disjoint from the rows retain metrics and the calibration criterion
/// measure (issue 14; UWC evaluates on the first 400 retain rows and trains retain terms on the rest).
/// </summary>
[Collection(EngineCollection.Name)]
public class RetainSplitTests
{
    /// <summary>GD that records every retain batch it is given (token ids per row, padding trimmed). The log is not a
    /// public property, so it stays out of the stage key.</summary>
    private sealed class RecordingGd(GdOptions options, ConcurrentBag<int[]> seen) : IUnlearningMethod
    {
        private readonly GradientDifference _gd = new(options);
        public UnlearnOptions Options => options;
        public bool NeedsReference => false;
        public bool NeedsRetain => true;

        public Tensor Loss(UnlearnStep step)
        {
            var batch = step.Retain!;
            var ids = batch.InputIds.data<long>().ToArray();
            int width = (int)batch.InputIds.shape[1];
            for (int r = 0; r < batch.Count; r++)
                seen.Add(ids.Skip(r * width).Take(width).Reverse().SkipWhile(v => v == DslUnlearn.Text.CharTokenizer.Pad).Reverse().Select(v => (int)v).ToArray());
            return _gd.Loss(step);
        }
    }

    [Fact]
    public void No_retain_eval_row_ever_enters_a_retain_loss_batch_and_retain_metrics_and_calibration_measure_only_retain_eval()
    {
        using var dir = new TempDir();
        var seen = new ConcurrentBag<int[]>();
        var tiny = TestSpecs.Tiny(dir.Path, epochs: 3);
        // 8 authors, 1 forget: 7 retain authors, the first one (ceil(7/9)) is retain-eval, 1 generated holdout author.
        var spec = tiny with
        {
            Data = tiny.Data with { Authors = 8 },
            Unlearn = [new UnlearnSpec { Name = "gd", MethodName = "gd", Method = new RecordingGd(new GdOptions { Lr = 1e-3, Steps = 12, BatchSize = 4, RetainWeight = 1 }, seen) }],
            Calibration = new CalibrationSpec { Name = "model_mixing", Calibrator = new ModelMixingCalibrator(new ModelMixingOptions { Fraction = 0.9, CurvePoints = 2 }) },
        };
        var data = RunInputs.LoadData(spec);
        Assert.Equal((3, 18, 3, 3), (data.RetainEval.Count, data.RetainTrain.Count, data.Forget.Count, data.Holdout.Count));
        var encoder = new QaEncoder(new DslUnlearn.Text.CharTokenizer(), spec.Prompt);
        string Key(int[] ids) => string.Join(",", ids);
        var evalRows = data.RetainEval.Select(e => Key(encoder.Encode(e).Ids[..^1])).ToHashSet();
        var trainRows = data.RetainTrain.Select(e => Key(encoder.Encode(e).Ids[..^1])).ToHashSet();
        Assert.Empty(data.RetainEval.Select(e => (e.Question, e.Answer)).Intersect(data.RetainTrain.Select(e => (e.Question, e.Answer))));
        Assert.Empty(data.Holdout.Select(e => e.Author).Intersect(data.Forget.Concat(data.FinetuneRetain).Select(e => e.Author)));

        var run = StagedExperimentRunner.Run(spec, new RunOptions());

        Assert.Equal(12 * 4, seen.Count);                                // every retain row of every step was recorded
        Assert.All(seen, row => Assert.DoesNotContain(Key(row), evalRows));
        Assert.All(seen, row => Assert.Contains(Key(row), trainRows));
        Assert.True(seen.Select(Key).Distinct().Count() > 4, "the retain batches should cover many retain-train rows");
        // Retain metrics and the calibration criterion measure the retain-eval rows: one per-sample value each.
        var json = JsonNode.Parse(File.ReadAllText(run.Result.ResultsJsonPath))!;
        Assert.Equal(data.RetainEval.Select(e => e.Question), json["examples"]!["retain"]!.AsArray().Select(e => e!["question"]!.GetValue<string>()));
        Assert.Equal(3, json["models"]!["gd"]!["es_exact"]!["retain"]!["value_by_index"]!.AsObject().Count);
        var calibration = run.Result.Run.Calibrations.Single();
        var es = new EsExactMetric(new NoOptions());
        using var target = StagedModel(run, spec, "finetune/target");
        Assert.Equal(calibration.Result.ReferenceRetainValue,
            es.Compute(MetricContext.ForSplit(target, encoder, data, SplitKind.Retain, CPU, MetricEvaluation.BatchSize)).AggValue);
    }

    /// <summary>A stage's stored model, loaded into a fresh tiny Llama.</summary>
    private static DslUnlearn.Models.ICausalLM StagedModel(StagedRunResult run, ExperimentSpec spec, string stage)
    {
        var source = RunInputs.ModelSource(spec);
        var model = source.CreateEmpty();
        var store = ArtifactStore.ForOutputRoot(spec.Report.Out);
        var artifact = store.Open(run.Manifest.Stages.Single(s => s.Id == stage).Key);
        var fmt = new EngineOptions().ModelFormat;
        using (var f = File.OpenRead(artifact.PathOf(fmt.FileName))) fmt.Load(model.Module, f);
        model.Module.eval();
        return model;
    }
}
