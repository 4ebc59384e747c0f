using System.Collections.Immutable;
using DslUnlearn.Methods;

namespace DslUnlearn.Tests.Support;

/// <summary>Small specs for runtime tests that must not depend on experiments/*.yaml values.</summary>
internal static class TestSpecs
{
    public static readonly ImmutableArray<SplitKind> BothSplits = [SplitKind.Forget, SplitKind.Retain];

    public static ExperimentSpec Tiny(string outRoot, int epochs = 25) => new()
    {
        Name = "tiny",
        Description = "test",
        SourceFile = "tiny.yaml",
        Seed = 7,
        Device = DeviceKind.Cpu,
        Data = new DataSpec { Source = DataSource.Synthetic, Authors = 6, QaPerAuthor = 3, ForgetAuthors = 1 },
        Model = new ModelSpec { Preset = "tiny-llama", HiddenSize = 64, Layers = 1, Heads = 4, KvHeads = 2, IntermediateSize = 128, MaxSeqLen = 128, RopeTheta = 10000, RmsNormEps = 1e-5 },
        Prompt = new PromptSpec { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " },
        Finetune = new FinetuneSpec { Epochs = epochs, Lr = 5e-3, BatchSize = 8, WeightDecay = 0, WarmupSteps = 2, MaxGradNorm = 1.0 },
        Unlearn =
        [
            new UnlearnSpec { Name = "ga", MethodName = "ga", Method = new GradientAscent(new GaOptions { Lr = 1e-3, Steps = 4, BatchSize = 4 }) },
            new UnlearnSpec { Name = "gd", MethodName = "gd", Method = new GradientDifference(new GdOptions { Lr = 1e-3, Steps = 4, BatchSize = 4, RetainWeight = 1 }) },
        ],
        Metrics =
        [
            new MetricSpec { Name = "es_exact", Metric = new EsExactMetric(new NoOptions()), Splits = BothSplits },
            new MetricSpec { Name = "em", Metric = new ExactMemorizationMetric(new NoOptions()), Splits = BothSplits },
        ],
        Report = new ReportSpec { Out = outRoot },
    };
}

/// <summary>A temp folder removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("dslu-test-").FullName;

    /// <summary>The subfolder <paramref name="name"/>, created.</summary>
    public string Folder(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
