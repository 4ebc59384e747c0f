using DslUnlearn.Specs;

namespace DslUnlearn.Pipeline;

/// <summary>Runs a resolved spec end to end: data, fine-tuning, unlearning, evaluation, report.</summary>
public static class ExperimentRunner
{
    public static ExperimentResult Run(ExperimentSpec spec, RunOptions options)
        => throw new NotImplementedException("being written");
}

public sealed record ExperimentResult(string OutputDirectory, string ResultsJsonPath, string SummaryPath);
