using System.Text.Json;
using DslUnlearn.Data;
using DslUnlearn.Pipeline;

namespace DslUnlearn.Reporting;

/// <summary>
/// results.json: per model, metric and split an OpenUnlearning-style
/// <c>{agg_value, value_by_index: {"i": {"score": v}}}</c> object, plus the examples behind each index and
/// the unlearning loss curves. Byte-identical for identical runs (no timestamps, shortest round-trip numbers).
/// </summary>
public static class ResultsJsonWriter
{
    public const int FormatVersion = 1;

    public static void Write(string path, RunRecord run) => AtomicFile.Write(path, stream => Write(stream, run));

    public static void Write(Stream stream, RunRecord run)
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteNumber("format_version", FormatVersion);
            w.WriteString("experiment", run.Spec.Name);
            w.WriteString("source", run.Spec.SourceFile);
            w.WriteNumber("seed", run.Spec.Seed);
            w.WriteNumber("parameters", run.ParameterCount);
            w.WriteNumber("finetune_final_loss", run.FinetuneFinalLoss);

            w.WriteStartObject("models");
            foreach (var model in run.Models) WriteModel(w, model);
            w.WriteEndObject();

            w.WriteStartObject("unlearning_curves");
            foreach (var (name, log) in run.UnlearnLogs)
            {
                w.WriteStartArray(name);
                foreach (var s in log)
                {
                    w.WriteStartObject();
                    w.WriteNumber("step", s.Step);
                    w.WriteNumber("loss", s.Loss);
                    w.WriteNumber("forget_nll", s.ForgetNll);
                    if (!double.IsNaN(s.RetainNll)) w.WriteNumber("retain_nll", s.RetainNll);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();

            w.WriteStartObject("examples");
            WriteExamples(w, "forget", run.Data.Forget);
            WriteExamples(w, "retain", run.Data.Retain);
            w.WriteEndObject();
            w.WriteEndObject();
        }

    private static void WriteModel(Utf8JsonWriter w, ModelEvaluation model)
    {
        w.WriteStartObject(model.Name);
        w.WriteString("kind", model.Kind);
        if (model.Method is not null) w.WriteString("method", model.Method);
        foreach (var byMetric in model.Metrics.GroupBy(m => m.Metric))
        {
            w.WriteStartObject(byMetric.Key);
            foreach (var values in byMetric)
            {
                w.WriteStartObject(SpecNames.Of(values.Split));
                w.WriteNumber("agg_value", values.Mean);
                w.WriteStartObject("value_by_index");
                for (int i = 0; i < values.Values.Count; i++)
                {
                    w.WriteStartObject(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    w.WriteNumber("score", values.Values[i]);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteExamples(Utf8JsonWriter w, string split, IReadOnlyList<QaExample> examples)
    {
        w.WriteStartArray(split);
        foreach (var e in examples)
        {
            w.WriteStartObject();
            w.WriteNumber("index", e.Index);
            w.WriteString("author", e.Author);
            w.WriteString("question", e.Question);
            w.WriteString("paraphrased_question", e.ParaphrasedQuestion);
            w.WriteString("answer", e.Answer);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
