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
/// model per unlearn entry (each started from the target) -> ES/EM on the requested splits -> results.
/// </summary>
public static class ExperimentRunner
{
    private const int EvalBatchSize = 32;

    public static ExperimentResult Run(ExperimentSpec spec, RunOptions options)
    {
        var progress = options.Progress;
        var cancel = options.Cancellation;
        var device = DeviceResolver.Resolve(spec.Device);
        string outDir = Path.Combine(options.OutputRoot ?? spec.Report.Out, spec.Name);
        progress.Message($"Experiment '{spec.Name}' from {spec.SourceFile}: seed {spec.Seed}, device {device.type.ToString().ToLowerInvariant()}, output {outDir}");

        var data = spec.Data.Source switch
        {
            DataSource.Synthetic => SyntheticAuthors.Generate(spec.Data),
            _ => throw new NotSupportedException($"data.source {spec.Data.Source} is not supported."),
        };
        var encoder = new QaEncoder(new CharTokenizer(), spec.Prompt);
        var forget = encoder.EncodeAll(data.Forget);
        var retain = encoder.EncodeAll(data.Retain);
        var all = forget.Concat(retain).ToArray();
        int longest = all.Max(e => e.Ids.Length) - 1;
        if (longest > spec.Model.MaxSeqLen)
            throw new InvalidOperationException($"{spec.SourceFile}: the longest QA pair needs {longest} positions but model.max_seq_len is {spec.Model.MaxSeqLen}; raise model.max_seq_len to at least {longest}.");
        progress.Message($"Data: {data.Forget.Count} forget and {data.Retain.Count} retain QA pairs ({spec.Data.Authors} authors, {spec.Data.ForgetAuthors} to forget).");

        var config = new LlamaConfig(encoder.Tokenizer.VocabSize, spec.Model.HiddenSize, spec.Model.Layers, spec.Model.Heads,
            spec.Model.KvHeads, spec.Model.IntermediateSize, spec.Model.MaxSeqLen, spec.Model.RopeTheta, spec.Model.RmsNormEps).Validate();
        ulong seed = (ulong)spec.Seed;
        torch.manual_seed(spec.Seed);
        using var target = new LlamaForCausalLM(config);
        target.to(device);
        long parameters = target.parameters().Sum(p => p.numel());
        progress.Message($"Model: {spec.Model.Preset}, {parameters:N0} parameters.");

        var models = new List<ModelEvaluation> { Evaluate("untrained", "untrained", null, target, spec, forget, retain, device, progress) };

        double finalLoss = Finetuner.Train(target, all, spec.Finetune, seed, device, progress, "finetune target", cancel);
        models.Add(Evaluate("target", "target", null, target, spec, forget, retain, device, progress));

        var logs = new Dictionary<string, IReadOnlyList<Unlearner.StepLog>>();
        var targetState = target.state_dict();
        foreach (var u in spec.Unlearn)
        {
            using var model = new LlamaForCausalLM(config);
            model.to(device);
            model.load_state_dict(targetState);
            // Every method gets the same batch order for a given seed, so differences come from the method.
            logs[u.Name] = Unlearner.Run(model, forget, retain, u, seed + 1, device, progress, $"unlearn {u.Name}", cancel);
            models.Add(Evaluate(u.Name, "unlearned", SpecNames.Of(u.Method), model, spec, forget, retain, device, progress));
        }

        var run = new RunRecord(spec, data, parameters, finalLoss, models, logs);
        string resultsPath = Path.Combine(outDir, "results.json");
        string summaryPath = Path.Combine(outDir, "summary.md");
        ResultsJsonWriter.Write(resultsPath, run);
        AtomicFile.WriteText(summaryPath, SummaryMarkdownWriter.Render(run));
        progress.Message($"Wrote {resultsPath} and {summaryPath}");
        return new ExperimentResult(outDir, resultsPath, summaryPath, run);
    }

    private static ModelEvaluation Evaluate(string name, string kind, string? method, LlamaForCausalLM model, ExperimentSpec spec,
        EncodedQa[] forget, EncodedQa[] retain, Device device, IProgressSink progress)
    {
        var values = new List<MetricValues>();
        foreach (var split in spec.Metrics.SelectMany(m => m.Splits).Distinct().Order())
        {
            var scores = Evaluator.Evaluate(model, split == SplitKind.Forget ? forget : retain, EvalBatchSize, device);
            foreach (var metric in spec.Metrics.Where(m => m.Splits.Contains(split)).Select(m => m.Metric).Distinct())
                values.Add(new MetricValues(metric, split, metric switch
                {
                    MetricKind.EsExact => scores.EsExact,
                    MetricKind.Em => scores.Em,
                    _ => throw new NotSupportedException($"metric {metric} is not supported."),
                }));
        }
        var eval = new ModelEvaluation(name, kind, method, values);
        progress.Message($"  {name,-10} " + string.Join("  ", values.Select(v => $"{SpecNames.Of(v.Metric)}/{SpecNames.Of(v.Split)} {v.Mean:F3}")));
        return eval;
    }
}

/// <summary>Where a run wrote its outputs, and what it measured.</summary>
public sealed record ExperimentResult(string OutputDirectory, string ResultsJsonPath, string SummaryPath, RunRecord Run);
