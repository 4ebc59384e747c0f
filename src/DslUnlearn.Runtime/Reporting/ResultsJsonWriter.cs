using DslUnlearn.Data;
using DslUnlearn.IO;
using DslUnlearn.Metrics;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Reporting;

/// <summary>
/// results.json: per model, metric and split an OpenUnlearning-style
/// <c>{agg_value, value_by_index: {"i": {"score": v}}}</c> object, plus the examples behind each index and
/// the unlearning loss curves. Byte-identical for identical runs (no timestamps, shortest round-trip numbers).
/// </summary>
public static class ResultsJsonWriter
{
    public const int FormatVersion = 2; // 2: agg_value is the metric's own aggregate; non-finite numbers are null, listed under "warnings"

    public static void Write(string path, RunRecord run) => AtomicFile.Write(path, stream => Write(stream, run));

    public static void Write(Stream stream, RunRecord run)
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteNumber("format_version", FormatVersion);
            w.WriteString("experiment", run.Spec.Name);
            if (run.Spec.Cell is { } cell) w.WriteString("cell", cell); // experiment-level sweep cell (absent otherwise)
            w.WriteString("source", run.Spec.SourceFile);
            w.WriteNumber("seed", run.Spec.Seed);
            w.WriteNumber("parameters", run.ParameterCount);
            w.WriteNumberOrNull("finetune_final_loss", run.FinetuneFinalLoss);
            var warnings = run.NonFiniteWarnings();
            if (warnings.Count > 0)
            {
                w.WriteStartArray("warnings");
                foreach (var warning in warnings) w.WriteStringValue(warning);
                w.WriteEndArray();
            }

            w.WriteStartObject("models");
            foreach (var model in run.Models) WriteModel(w, model, run.Spec, model.Name);
            w.WriteEndObject();
            if (run.Attacked.Count > 0) WriteAttacks(w, run, run.Attacked);
            if (run.Calibrations.Count > 0) WriteCalibrations(w, run.Calibrations);

            w.WriteStartObject("unlearning_curves");
            foreach (var (name, log) in run.UnlearnLogs)
            {
                w.WriteStartArray(name);
                foreach (var s in log)
                {
                    w.WriteStartObject();
                    w.WriteNumber("step", s.Step);
                    w.WriteNumberOrNull("loss", s.Loss);
                    w.WriteNumberOrNull("forget_nll", s.ForgetNll);
                    if (!double.IsNaN(s.RetainNll)) w.WriteNumberOrNull("retain_nll", s.RetainNll);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();

            w.WriteStartObject("examples");
            WriteExamples(w, "forget", run.Data.Forget);
            WriteExamples(w, "retain", run.Data.RetainEval);
            w.WriteEndObject();
            w.WriteEndObject();
        }

    /// <summary>"attacks": {attack: {chain: [...], models: {model: {kind: "attacked", metric: {split: {...}}}}}} (only when the spec has attacks).</summary>
    private static void WriteAttacks(Utf8JsonWriter w, RunRecord run, IReadOnlyList<AttackedEvaluation> attacked)
    {
        w.WriteStartObject("attacks");
        foreach (var byAttack in attacked.GroupBy(a => a.Attack))
        {
            w.WriteStartObject(byAttack.Key);
            w.WriteStartArray("chain");
            foreach (var step in byAttack.First().Chain) w.WriteStringValue(step);
            w.WriteEndArray();
            w.WriteStartObject("models");
            foreach (var a in byAttack) WriteModel(w, a.Evaluation, run.Spec, a.Model);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>"calibration": {model: {alpha, retain value reached, evaluations, forget metrics at alpha, curve}} (only when the spec calibrates).</summary>
    private static void WriteCalibrations(Utf8JsonWriter w, IReadOnlyList<CalibrationRecord> calibrations)
    {
        w.WriteStartObject("calibration");
        foreach (var c in calibrations)
        {
            var r = c.Result;
            w.WriteStartObject(c.Model);
            w.WriteString("calibrator", c.Calibrator);
            w.WriteNumberOrNull("alpha", r.Alpha);
            w.WriteString("retain_metric", c.RetainMetric);
            w.WriteNumberOrNull("retain_value", r.RetainValue);
            w.WriteNumberOrNull("reference_retain_value", r.ReferenceRetainValue);
            w.WriteNumber("evaluations", r.Evaluations);
            w.WriteStartObject("forget");
            foreach (var (metric, value) in r.Forget.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject(metric);
                w.WriteNumberOrNull("agg_value", value.AggValue);
                if (value.ValueByIndex is { } values)
                {
                    w.WriteStartObject("value_by_index");
                    for (int i = 0; i < values.Count; i++)
                    {
                        w.WriteStartObject(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        w.WriteNumberOrNull("score", values[i]);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartArray("curve");
            foreach (var point in r.Curve)
            {
                w.WriteStartObject();
                w.WriteNumberOrNull("alpha", point.Alpha);
                w.WriteNumberOrNull("retain", point.Retain);
                w.WriteStartObject("forget");
                foreach (var (metric, value) in point.Forget.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumberOrNull(metric, value);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <param name="cell">Names the model in the bootstrap seed (<see cref="ValueIntervals.Cell"/>). An attacked model uses its own name, so
    /// its intervals use the same resampling indices as before the attack (identical values, identical interval; paired otherwise).</param>
    private static void WriteModel(Utf8JsonWriter w, ModelEvaluation model, Specs.ExperimentSpec spec, string cell)
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
                w.WriteNumberOrNull("agg_value", values.AggValue);
                if (ValueIntervals.Of([(values.AggValue, values.Values)], spec.Seed, ValueIntervals.Cell(cell, values.Metric, SpecNames.Of(values.Split)),
                        ValueIntervals.AggregateOf(spec, values.Metric, SpecNames.Of(values.Split))) is { } ci)
                {
                    w.WriteNumberOrNull("ci_low", ci.Low); // seeded 95 % percentile bootstrap of agg_value over value_by_index
                    w.WriteNumberOrNull("ci_high", ci.High);
                }
                if (values.Values.Count > 0) // aggregate-only metrics (forget_quality, privleak) have none, as in OpenUnlearning
                {
                    w.WriteStartObject("value_by_index");
                    for (int i = 0; i < values.Values.Count; i++)
                    {
                        w.WriteStartObject(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        w.WriteNumberOrNull("score", values.Values[i]);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
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
