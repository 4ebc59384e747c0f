using DslUnlearn.Data;
using DslUnlearn.Methods;
using DslUnlearn.Metrics;
using DslUnlearn.Models;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;
using DslUnlearn.Text;
using DslUnlearn.Torch;
using DslUnlearn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Pipeline;

/// <summary>
/// Runs a resolved spec end to end: data -> untrained baseline -> fine-tuned target -> one unlearned
/// model per unlearn entry (each started from the target; a swept YAML item gives one entry per cell) -> the
/// spec's metrics on their splits -> results. Methods and metrics are the components the generated code constructed.
/// Attacks and calibration run only in the staged runner (Engine/), not in this in-memory path.
/// </summary>
public static class ExperimentRunner
{
    internal const int EvalBatchSize = 32;

    public static ExperimentResult Run(ExperimentSpec spec, RunOptions options)
    {
        // The artifact engine runs the same work as stages through the store (cached, resumable); see Engine/.
        if (!options.InMemory) return Engine.StagedExperimentRunner.Run(spec, options).Result;
        if (spec.Testbed is not null) throw new InvalidOperationException($"{spec.SourceFile}: the biographies testbed pretrains in the artifact engine only; run without the in-memory option.");
        var progress = options.Progress;
        var cancel = options.Cancellation;
        var device = DeviceResolver.Resolve(spec.Device);
        string outDir = ExperimentCells.OutputDirectory(spec, options.OutputRoot ?? spec.Report.Out);
        progress.Message($"Experiment '{spec.Name}' from {spec.SourceFile}: seed {spec.Seed}, device {device.type.ToString().ToLowerInvariant()}, output {outDir}");

        var data = RunInputs.LoadData(spec);
        var source = RunInputs.ModelSource(spec);
        var encoder = new QaEncoder(source.Tokenizer, spec.Prompt);
        var forget = encoder.EncodeAll(data.Forget);
        var retain = encoder.EncodeAll(data.Retain);
        var all = forget.Concat(retain).ToArray();
        RunInputs.CheckFits(spec, source, data, encoder);
        progress.Message($"Data: {data.Forget.Count} forget and {data.Retain.Count} retain QA pairs.");

        ulong seed = (ulong)spec.Seed;
        torch.manual_seed(spec.Seed);
        using var target = source.CreateInitial();
        target.Module.to(device);
        long parameters = target.Module.parameters().Sum(p => p.numel());
        progress.Message($"Model: {source.Description}, {parameters:N0} parameters.");

        int padId = encoder.Tokenizer.PadId;
        var models = new List<ModelEvaluation> { Evaluate("untrained", "untrained", null, target, spec, data, encoder, device, progress) };

        double finalLoss = Finetuner.Train(target, all, spec.Finetune, seed, device, progress, "finetune target", padId, cancel);
        models.Add(Evaluate("target", "target", null, target, spec, data, encoder, device, progress));

        var logs = new Dictionary<string, IReadOnlyList<UnlearningLoop.StepLog>>();
        foreach (var u in spec.Unlearn)
        {
            using var model = target.Clone();
            // Every method gets the same batch order for a given seed, so differences come from the method.
            logs[u.Name] = UnlearningLoop.Run(model, u.Method, forget, retain, seed + 1, device, progress, $"unlearn {u.Name}", padId, cancel, encoder.Tokenizer);
            models.Add(Evaluate(u.Name, "unlearned", u.MethodName, model, spec, data, encoder, device, progress));
        }

        if (spec.Finetune.Oracle)
            progress.Message("Note: finetune.oracle (the retain-only model) is trained only by the staged runner (run without --in-memory).");
        if (spec.Attacks.Length > 0 || spec.Calibration is not null)
            progress.Message($"Note: the spec's {spec.Attacks.Length} attack pipeline(s){(spec.Calibration is null ? "" : " and calibration")} are run only by the staged runner (run without --in-memory).");

        var run = new RunRecord(spec, data, parameters, finalLoss, models, logs);
        string resultsPath = Path.Combine(outDir, "results.json");
        string summaryPath = Path.Combine(outDir, "summary.md");
        ResultsJsonWriter.Write(resultsPath, run);
        AtomicFile.WriteText(summaryPath, SummaryMarkdownWriter.Render(run));
        progress.Message($"Wrote {resultsPath} and {summaryPath}");
        return new ExperimentResult(outDir, resultsPath, summaryPath, run);
    }

    internal static ModelEvaluation Evaluate(string name, string kind, string? method, ICausalLM model, ExperimentSpec spec,
        QaDataset data, QaEncoder encoder, Device device, IProgressSink progress)
    {
        var values = new List<MetricValues>();
        foreach (var m in spec.Metrics)
            foreach (var split in m.Splits)
            {
                var result = m.Metric.Compute(new MetricContext(model, encoder, data.Split(split), SpecNames.Of(split), device, EvalBatchSize));
                values.Add(new MetricValues(m.Name, split, result.ValueByIndex ?? []));
            }
        var eval = new ModelEvaluation(name, kind, method, values);
        progress.Message($"  {name,-10} " + string.Join("  ", values.Select(v => $"{v.Metric}/{SpecNames.Of(v.Split)} {v.Mean:F3}")));
        return eval;
    }
}

/// <summary>Where a run wrote its outputs, and what it measured.</summary>
public sealed record ExperimentResult(string OutputDirectory, string ResultsJsonPath, string SummaryPath, RunRecord Run);
