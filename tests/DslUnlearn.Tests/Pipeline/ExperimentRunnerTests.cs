using DslUnlearn.Pipeline;
using DslUnlearn.Progress;

namespace DslUnlearn.Tests.Pipeline;

public class ExperimentRunnerTests
{
    [Fact]
    public void Same_spec_and_seed_give_byte_identical_results_on_cpu()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var ra = ExperimentRunner.Run(TestSpecs.Tiny(a.Path, epochs: 6), new RunOptions());
        var rb = ExperimentRunner.Run(TestSpecs.Tiny(b.Path, epochs: 6), new RunOptions());
        Assert.Equal(File.ReadAllBytes(ra.ResultsJsonPath), File.ReadAllBytes(rb.ResultsJsonPath));
        Assert.Equal(File.ReadAllText(ra.SummaryPath), File.ReadAllText(rb.SummaryPath));
    }

    [Fact]
    public void A_different_seed_changes_the_results()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var ra = ExperimentRunner.Run(TestSpecs.Tiny(a.Path, epochs: 3), new RunOptions());
        var rb = ExperimentRunner.Run(TestSpecs.Tiny(b.Path, epochs: 3) with { Seed = 8 }, new RunOptions());
        Assert.NotEqual(ra.Run.FinetuneFinalLoss, rb.Run.FinetuneFinalLoss);
    }

    [Fact]
    public void Progress_reports_every_stage_and_output_root_is_honoured()
    {
        using var dir = new TempDir();
        var sink = new RecordingSink();
        var r = ExperimentRunner.Run(TestSpecs.Tiny("ignored-root", epochs: 2), new RunOptions { OutputRoot = dir.Path, Progress = sink });
        Assert.Equal(Path.Combine(dir.Path, "tiny"), r.OutputDirectory);
        Assert.Equal(["finetune target", "unlearn ga", "unlearn gd"], sink.Started);
        Assert.Equal(sink.Started, sink.Finished);
        Assert.False(Directory.Exists("ignored-root"));
        using var json = JsonDocument.Parse(File.ReadAllBytes(r.ResultsJsonPath));
        Assert.Equal(["untrained", "target", "ga", "gd"], json.RootElement.GetProperty("models").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Sequences_longer_than_max_seq_len_are_reported_with_the_fix()
    {
        using var dir = new TempDir();
        var spec = TestSpecs.Tiny(dir.Path);
        spec = spec with { Model = spec.Model with { MaxSeqLen = 20 } };
        var e = Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(spec, new RunOptions()));
        Assert.Contains("tiny.yaml", e.Message);
        Assert.Contains("raise model.max_seq_len to at least", e.Message);
    }

    [Fact]
    public void A_perturbed_answer_longer_than_max_seq_len_is_reported_before_training()
    {
        // TOFU's forget10 has a perturbed answer longer than any answer; metrics encode it, so the fit check must too.
        var spec = TestSpecs.Tiny("unused");
        var source = RunInputs.ModelSource(spec);
        var encoder = new QaEncoder(source.Tokenizer, spec.Prompt);
        var fits = new QaExample(0, "a", "Q?", "short", "Q?") { PerturbedAnswers = ["also short"] };
        var data = new QaDataset([fits], [fits with { Index = 1 }], []);
        RunInputs.CheckFits(spec, source, data, encoder); // fits: no exception

        var tooLong = fits with { PerturbedAnswers = [new string('x', spec.Model.MaxSeqLen)] };
        var e = Assert.Throws<InvalidOperationException>(() => RunInputs.CheckFits(spec, source, data with { RetainTrain = [tooLong] }, encoder));
        Assert.Contains("raise model.max_seq_len to at least", e.Message);
        Assert.Contains("author 'a', question 'Q?'", e.Message);
    }

    private sealed class RecordingSink : IProgressSink
    {
        public List<string> Started { get; } = [];
        public List<string> Finished { get; } = [];
        public void StageStarted(string stage, int total) => Started.Add(stage);
        public void StageAdvanced(string stage, int done, string? detail = null) { }
        public void StageFinished(string stage, string? summary = null) => Finished.Add(stage);
        public void Message(string text) { }
    }
}
