using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Reporting;

/// <summary>summary.md: one table, models x (metric, split) means, with the context needed to read it.</summary>
public static class SummaryMarkdownWriter
{
    public static string Render(RunRecord run)
    {
        var s = run.Spec;
        var columns = s.Metrics.SelectMany(m => m.Splits.Select(split => (Metric: m.Name, Split: split))).ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"# {s.Name}");
        sb.AppendLine();
        if (s.Description.Length > 0) sb.AppendLine(s.Description).AppendLine();
        sb.AppendLine($"- spec: `{s.SourceFile}`, seed {s.Seed}");
        sb.AppendLine(s.Data.Source == DataSource.Tofu
            ? $"- data: TOFU {s.Data.Split}; forget = {run.Data.Forget.Count} pairs, {Splits(run.Data)}" +
              (s.Data.RetainAuthors is int r ? $" (the first {r} retain authors)" : "")
            : $"- data: {s.Data.Authors} synthetic authors x {s.Data.QaPerAuthor} QA pairs; forget = last {s.Data.ForgetAuthors} authors ({run.Data.Forget.Count} pairs), {Splits(run.Data)}");
        string description = run.ModelDescription ?? $"{s.Model.Preset}, {s.Model.Layers} layers, hidden {s.Model.HiddenSize}";
        sb.AppendLine($"- model: {description}, {run.ParameterCount:N0} parameters; fine-tuned {s.Finetune.Epochs} epochs (final loss {F(run.FinetuneFinalLoss)})");
        foreach (var u in s.Unlearn)
            sb.AppendLine($"- unlearn `{u.Name}`: {u.MethodName}, lr {u.Method.Options.Lr.ToString("G4", CultureInfo.InvariantCulture)}, {u.Method.Options.Steps.Describe()}, batch {u.Method.Options.BatchSize}" +
                          (u.Method.Options is Methods.GdOptions gd ? $", retain weight {gd.RetainWeight.ToString("G4", CultureInfo.InvariantCulture)}" : ""));
        sb.AppendLine();
        sb.AppendLine("Each value is the metric's own aggregate (the mean over samples for most; e.g. truth ratio's closer_to_1 on forget). ES = extraction strength (exact, 1 = the whole answer is reproduced from the question alone); EM = exact memorization (share of answer tokens predicted greedily). Forget values should drop after unlearning; retain values should stay.");
        sb.AppendLine();
        sb.AppendTableHeader(["model"], columns.Select(c => $"{Title(c.Metric)} {SpecNames.Of(c.Split)}").ToList());
        foreach (var model in run.Models)
        {
            sb.Append($"| {model.Name} |");
            foreach (var (m, split) in columns) sb.Append($" {F(model.Get(m, split)?.AggValue ?? double.NaN)} |");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Title(string m) => SummaryTables.MetricTitle(m);
    /// <summary>The retain and holdout parts (docs/evaluation-protocol.md).</summary>
    private static string Splits(Data.QaDataset d)
        => $"retain = {d.RetainTrain.Count} pairs trained on by retain terms + {d.RetainEval.Count} measured (retain-eval), holdout = {d.Holdout.Count} pairs" +
           (d.Auxiliary.Count == 0 ? "" : $", auxiliary = {string.Join(", ", d.Auxiliary.Select(kv => $"{kv.Key} ({kv.Value.Count})"))}");
    private static string F(double v) => SummaryTables.F(v);
}
