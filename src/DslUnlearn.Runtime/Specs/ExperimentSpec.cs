using System.Collections.Immutable;

namespace DslUnlearn.Specs;

/// <summary>
/// A fully resolved experiment: every value the run uses, defaults included. The source generator emits
/// one of these per YAML file; nothing at run time falls back to a hidden default.
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>Experiment name (unique across experiments/; used for artifacts/&lt;name&gt;/).</summary>
    public required string Name { get; init; }
    public required string Description { get; init; }
    /// <summary>Path of the YAML file relative to the experiments project.</summary>
    public required string SourceFile { get; init; }
    public required int Seed { get; init; }
    public required DeviceKind Device { get; init; }
    public required DataSpec Data { get; init; }
    public required ModelSpec Model { get; init; }
    public required PromptSpec Prompt { get; init; }
    public required FinetuneSpec Finetune { get; init; }
    public required ImmutableArray<UnlearnSpec> Unlearn { get; init; }
    public required ImmutableArray<MetricSpec> Metrics { get; init; }
    public required ReportSpec Report { get; init; }
}

public enum DeviceKind { Auto, Cpu, Cuda }

/// <summary>The built-in synthetic fictitious-authors data set.</summary>
public sealed record DataSpec
{
    public required DataSource Source { get; init; }
    /// <summary>Number of fictitious authors (>= 2).</summary>
    public required int Authors { get; init; }
    /// <summary>QA pairs per author (1..10).</summary>
    public required int QaPerAuthor { get; init; }
    /// <summary>Whole authors moved into the forget split (the last ones, as in TOFU); 1..Authors-1.</summary>
    public required int ForgetAuthors { get; init; }
}

public enum DataSource { Synthetic }

/// <summary>Tiny Llama-style decoder (RMSNorm, RoPE, SwiGLU).</summary>
public sealed record ModelSpec
{
    public required string Preset { get; init; }
    public required int HiddenSize { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MaxSeqLen { get; init; }
    public required double RopeTheta { get; init; }
    public required double RmsNormEps { get; init; }
}

/// <summary>How a QA pair becomes text: question_tag + question + answer_tag + answer.</summary>
public sealed record PromptSpec
{
    public required string QuestionTag { get; init; }
    public required string AnswerTag { get; init; }
}

/// <summary>Fine-tuning of the target model on all data (forget + retain).</summary>
public sealed record FinetuneSpec
{
    public required int Epochs { get; init; }
    public required double Lr { get; init; }
    public required int BatchSize { get; init; }
    public required double WeightDecay { get; init; }
    public required int WarmupSteps { get; init; }
    public required double MaxGradNorm { get; init; }
}

public enum UnlearnMethodKind { Ga, Gd }

/// <summary>One unlearning run, started from the fine-tuned target model.</summary>
public sealed record UnlearnSpec
{
    /// <summary>Label in tables (defaults to the method name).</summary>
    public required string Name { get; init; }
    public required UnlearnMethodKind Method { get; init; }
    public required double Lr { get; init; }
    public required int Steps { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>Weight of the retain NLL term (GD only; ignored by GA).</summary>
    public required double RetainWeight { get; init; }
}

public enum MetricKind { EsExact, Em }

public enum SplitKind { Forget, Retain }

public sealed record MetricSpec
{
    public required MetricKind Metric { get; init; }
    public required ImmutableArray<SplitKind> Splits { get; init; }
}

public sealed record ReportSpec
{
    /// <summary>Root folder for outputs; results go to &lt;out&gt;/&lt;experiment&gt;/.</summary>
    public required string Out { get; init; }
}
