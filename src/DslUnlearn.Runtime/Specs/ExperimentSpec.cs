using System.Collections.Immutable;
using DslUnlearn.Attacks;
using DslUnlearn.Calibration;
using DslUnlearn.Components;
using DslUnlearn.Methods;
using DslUnlearn.Metrics;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Specs;

/// <summary>
/// A fully resolved experiment: every value the run uses, defaults included. The source generator emits
/// one of these per YAML file; nothing at run time falls back to a hidden default. The top-level keys are the
/// <c>[Option]</c>s and <c>[CompositionKey]</c>s here (docs/spec-keys.md).
/// </summary>
[CompositionKey("extends", Help = "base spec file(s) merged under this one (relative to this file; later wins, lists replace)", Aliases = ["base", "include", "inherits"])]
[CompositionKey("vars", Help = "values defined once, referenced as ${vars.name}", Aliases = ["variables", "defs"])]
[CompositionKey("fragments", Help = "named mappings merged into any mapping with 'use: name'", Aliases = ["templates"])]
[CompositionKey("sweep", Help = "experiment-level sweep: dotted key -> list of values (seed, finetune.lr, data.forget_authors, ...); one whole experiment per combination (grid), keys in 'zip: [a, b]' vary together", Aliases = ["grid", "sweeps"])]
public sealed record ExperimentSpec
{
    /// <summary>Experiment name (unique across experiments/; used for artifacts/&lt;name&gt;/).</summary>
    [Option(Key = "experiment", Required = true, Pattern = "^[a-z][a-z0-9_-]*$", PatternHelp = "a lowercase letter, then lowercase letters, digits, '-' or '_'", Help = "unique experiment name", Aliases = ["name", "experiment_name"])]
    public required string Name { get; init; }
    [Option(Default = "\"\"", Help = "one line about the experiment", Aliases = ["desc"])]
    public required string Description { get; init; }
    /// <summary>Path of the YAML file relative to the experiments project.</summary>
    [Option(SpecFile = true)]
    public required string SourceFile { get; init; }
    [Option(Sweepable = true, Min = 0, Default = "0", Help = "random seed", Aliases = ["random_seed"])]
    public required int Seed { get; init; }
    [Option(Names = "device", Default = "auto", Help = "where to run")]
    public required DeviceKind Device { get; init; }
    [Option(Default = "{}", Help = "the data set", Aliases = ["dataset"])]
    public required DataSpec Data { get; init; }
    [Option(Default = "{}", Help = "the model")]
    public required ModelSpec Model { get; init; }
    [Option(Default = "{}", Help = "how QA pairs become text", Aliases = ["template"])]
    public required PromptSpec Prompt { get; init; }
    [Option(Default = "{}", Help = "fine-tuning of the target model", Aliases = ["train", "training", "fine_tune"])]
    public required FinetuneSpec Finetune { get; init; }
    /// <summary>Unlearning runs, each started from the fine-tuned target; a swept YAML item gives one entry per cell.</summary>
    [Option(Items = "method", Default = "[]", Help = "unlearning runs, each from the target model; list values or 'sweep:' give one run per cell", Aliases = ["unlearning", "methods"])]
    public required ImmutableArray<UnlearnSpec> Unlearn { get; init; }
    /// <summary>Red-teaming pipelines applied to the target and every unlearned model (run by the staged runner: attack/&lt;model&gt;/&lt;attack&gt;).</summary>
    [Option(Items = "attack", Default = "[]", Help = "red-teaming pipelines (one attack or a 'chain:')", Aliases = ["attack", "red_teaming"])]
    public ImmutableArray<AttackSpec> Attacks { get; init; } = ImmutableArray<AttackSpec>.Empty;
    [Option(Items = "metric", Default = "[{metric: es_exact}, {metric: em}]", Help = "what to measure, and on which splits", Aliases = ["metric", "eval", "evaluation"])]
    public required ImmutableArray<MetricSpec> Metrics { get; init; }
    /// <summary>The calibration procedure, or null for none (run by the staged runner: calibrate/&lt;model&gt; per unlearned model).</summary>
    [Option(Items = "calibrator", Default = "~", Help = "the calibration procedure (default none)", Aliases = ["calibrate", "control"])]
    public CalibrationSpec? Calibration { get; init; }
    /// <summary>The biographies testbed (data.source biographies), else null; see TestbedSpec.</summary>
    [Option(Default = "~", KeyNeutral = "~", Help = "the biographies testbed (with data.source: biographies); write 'testbed: {}' for its defaults", Aliases = ["biographies", "world"])]
    public TestbedSpec? Testbed { get; init; }
    /// <summary>The meta-evaluation's extra model pools (faithfulness), else null; see MetaEvalSpec.</summary>
    [Option(Default = "~", KeyNeutral = "~", Help = "the meta-evaluation of the metrics beyond the spec's own models (tables/meta_eval)", Aliases = ["meta_evaluation", "metaeval"])]
    public MetaEvalSpec? MetaEval { get; init; }
    [Option(Default = "{}", Help = "where results go", Aliases = ["output"])]
    public required ReportSpec Report { get; init; }
    /// <summary>The experiment-level sweep cell (e.g. <c>seed=2,finetune.lr=3e-3</c>), or null when the spec sweeps nothing at the experiment level; see Pipeline/ExperimentCells.cs.</summary>
    public string? Cell { get; init; }
}

/// <summary>Tiny Llama-style decoder (RMSNorm, RoPE, SwiGLU).</summary>
public sealed record ModelSpec
{
    [Option(Sweepable = true, Names = "preset", Default = "tiny-llama", Help = "model architecture")]
    [Choice("tiny-llama", Help = "tiny Llama-style decoder (RMSNorm, RoPE, SwiGLU)", Aliases = ["llama", "tiny_llama"])]
    public required string Preset { get; init; }
    /// <summary>A local Hugging Face checkpoint folder (config.json + safetensors), relative to the repository root; null = build the preset.</summary>
    [Option(Path = true, Default = "~", Help = "a local Hugging Face checkpoint folder instead of a preset (relative to the spec file); the architecture keys then come from its config.json", Aliases = ["path", "hf_path", "model_path", "pretrained"], Excludes = ["preset", "hidden_size", "layers", "heads", "kv_heads", "intermediate_size", "rope_theta", "rms_norm_eps"])]
    public string? Checkpoint { get; init; }
    [Option(Sweepable = true, Min = 8, Default = "128", Help = "width of the residual stream", Aliases = ["d_model", "hidden", "dim"])]
    public required int HiddenSize { get; init; }
    [Option(Sweepable = true, Min = 1, Max = 64, Default = "2", Help = "decoder layers", Aliases = ["num_layers", "n_layers", "num_hidden_layers"])]
    public required int Layers { get; init; }
    [Option(Sweepable = true, Min = 1, Default = "4", Help = "attention heads; hidden_size / heads must be even", Aliases = ["num_heads", "n_heads", "num_attention_heads"])]
    public required int Heads { get; init; }
    [Option(Sweepable = true, Min = 1, DefaultFrom = "heads", Help = "key/value heads (grouped-query attention); divides heads; default = heads", Aliases = ["num_kv_heads", "n_kv_heads", "num_key_value_heads"])]
    public required int KvHeads { get; init; }
    [Option(Sweepable = true, Min = 1, Default = "256", Help = "SwiGLU hidden width", Aliases = ["ffn_size", "mlp_size", "d_ff"])]
    public required int IntermediateSize { get; init; }
    [Option(Sweepable = true, Min = 16, Default = "256", Help = "longest sequence in tokens", Aliases = ["max_length", "context_length", "max_position_embeddings"])]
    public required int MaxSeqLen { get; init; }
    [Option(Sweepable = true, Min = 0, MinExclusive = true, Default = "10000", Help = "RoPE base frequency", Aliases = ["rope_base"])]
    public required double RopeTheta { get; init; }
    [Option(Sweepable = true, Min = 0, MinExclusive = true, Default = "1e-5", Help = "RMSNorm epsilon", Aliases = ["norm_eps", "eps"])]
    public required double RmsNormEps { get; init; }
    /// <summary>Precision of weights and compute. 16-bit training keeps float32 master weights and optimizer state;
    /// losses and metric reductions stay float32/float64 (Torch/Precision.cs). Left out of stage keys when float32.</summary>
    [Option(Sweepable = true, Names = "dtype", Default = "float32", KeyNeutral = "float32", Help = "precision of weights and compute; 16-bit training keeps float32 master weights and optimizer state", Aliases = ["precision", "torch_dtype"])]
    public ModelDtype Dtype { get; init; } = ModelDtype.Float32;
}

/// <summary>The <c>sweep:</c> item key's help, for the two records that declare it (<c>[ItemKey]</c> takes constants).</summary>
internal static class ItemSweep
{
    public const string Help = "option -> list of values; one run per combination (grid), keys listed in 'zip: [a, b]' vary together";
}

/// <summary>One unlearning run, started from the fine-tuned target model. Its fixed YAML keys are the <c>[Option]</c>s and
/// <c>sweep</c> (the <c>[ItemKey]</c>); the method's options are its component's.</summary>
[ItemKey("sweep", Sweep = true, Help = ItemSweep.Help, Aliases = ["grid", "sweeps"])]
public sealed record UnlearnSpec
{
    /// <summary>Label in tables, unique in the spec: the item's name (default the method name), plus the cell id for sweeps, e.g. <c>gd[lr=1e-4]</c>.</summary>
    [Option(Help = "label in tables; unique in the list; default = the component name (+ the sweep cell)", Aliases = ["label"])]
    public required string Name { get; init; }
    /// <summary>The method's YAML name (e.g. "gd").</summary>
    [Option(Key = "method", Required = true, Discriminator = true, Help = "the unlearning method", Aliases = ["algorithm", "type"])]
    public required string MethodName { get; init; }
    /// <summary>The constructed method with its options.</summary>
    public required IUnlearningMethod Method { get; init; }
    /// <summary>The sweep cell (e.g. <c>lr=1e-4,retain_weight=2</c>), or null when the item is not swept.</summary>
    public string? Cell { get; init; }
}

/// <summary>A metric and the splits it runs on.</summary>
public sealed record MetricSpec
{
    /// <summary>The metric's YAML name (e.g. "es_exact"); the key in results.</summary>
    [Option(Key = "metric", Required = true, Discriminator = true, Help = "what to measure", Aliases = ["name", "type"])]
    public required string Name { get; init; }
    public required IMetric Metric { get; init; }
    [Option(Names = "split", NonEmpty = true, Distinct = true, Default = "[forget, retain]", Help = "splits to measure on", Aliases = ["split", "on"])]
    public required ImmutableArray<SplitKind> Splits { get; init; }
}

/// <summary>One red-teaming pipeline: a single attack or a chain (the output of one is the input of the next).</summary>
[ItemKey("attack", Before = "chain", Discriminator = true, Help = "one attack (or use 'chain:')", Aliases = ["type"])]
[ItemKey("sweep", Sweep = true, Help = ItemSweep.Help, Aliases = ["grid", "sweeps"])]
public sealed record AttackSpec
{
    /// <summary>Label in tables, unique in the spec (default: the attack names joined by '+', plus the cell id for sweeps).</summary>
    [Option(Help = "label in tables; unique in the list; default = the component name (+ the sweep cell)", Aliases = ["label"])]
    public required string Name { get; init; }
    [Option(Help = "attacks applied in order, each to the output of the previous one", Aliases = ["pipeline", "steps"])]
    public required ImmutableArray<AttackStep> Chain { get; init; }
    /// <summary>The sweep cell, or null when the item is not swept.</summary>
    public string? Cell { get; init; }
}

/// <summary>One attack of a pipeline.</summary>
public sealed record AttackStep
{
    /// <summary>The attack's YAML name.</summary>
    [Option(Key = "attack", Required = true, Discriminator = true, Help = "the attack", Aliases = ["type"])]
    public required string Name { get; init; }
    public required IAttack Attack { get; init; }
}

/// <summary>The calibration procedure.</summary>
public sealed record CalibrationSpec
{
    /// <summary>The calibrator's YAML name.</summary>
    [Option(Key = "calibrator", Required = true, Discriminator = true, Help = "the calibration procedure", Aliases = ["method", "type"])]
    public required string Name { get; init; }
    public required ICalibrator Calibrator { get; init; }
    /// <summary>The criterion: this metric (higher = better) on <see cref="RetainSplit"/> must reach fraction x the reference model's.</summary>
    [Option(Text = true, Default = "es_exact", Help = "the criterion: a metric (higher = better) that must reach fraction x the reference model's", Aliases = ["criterion", "metric"])]
    public CalibrationMetric RetainMetric { get; init; } = new("es_exact", new EsExactMetric(new NoOptions()));
    /// <summary>The split the criterion is measured on (default retain).</summary>
    [Option(Names = "split", Default = "retain", Help = "the split the criterion is measured on", Aliases = ["criterion_split"])]
    public SplitKind RetainSplit { get; init; } = SplitKind.Retain;
    /// <summary>The metrics reported on the forget split at the chosen operating point.</summary>
    [Option(Text = true, NonEmpty = true, Distinct = true, Default = "[es_exact, es_perturb]", Help = "metrics reported on the forget split at the chosen operating point", Aliases = ["report_metrics", "metrics"])]
    public ImmutableArray<CalibrationMetric> ForgetMetrics { get; init; } =
        [new("es_exact", new EsExactMetric(new NoOptions())), new("es_perturb", new EsPerturbMetric(new NoOptions()))];
}

/// <summary>A metric named in the calibration section (constructed with its default options).</summary>
public sealed record CalibrationMetric(string Name, IMetric Metric);

public sealed record ReportSpec
{
    /// <summary>Root folder for outputs; results go to &lt;out&gt;/&lt;experiment&gt;/.</summary>
    [Option(Default = "artifacts", Help = "root folder; results go to <out>/<experiment>/", Aliases = ["output", "output_dir", "out_dir"])]
    public required string Out { get; init; }
    /// <summary>Show each value's 95 % bootstrap interval in the Markdown and LaTeX tables too (CSV and JSON always have it).</summary>
    [Option(Default = "false", Help = "also show each value's 95 % bootstrap interval in tables/summary.md and summary.tex (tables/summary.csv and results.json always have it)", Aliases = ["ci", "confidence_intervals"])]
    public bool Intervals { get; init; }
}
