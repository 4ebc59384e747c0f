namespace DslUnlearn.Generators.Tests;

/// <summary>Step counts (training lengths and cadences): parsing, diagnostics at the YAML value, emitted code.</summary>
public sealed class TypedValueTests
{
    [Theory]
    [InlineData("10", true, 10.0, "Steps")]
    [InlineData("10 steps", true, 10.0, "Steps")]
    [InlineData("1 step", true, 1.0, "Steps")]
    [InlineData("2 epochs", true, 2.0, "Epochs")]
    [InlineData("0.5 epoch", false, 0.5, "Epochs")]
    [InlineData(" 3Epochs ", false, 3.0, "Epochs")]
    [InlineData("10%", true, 0.1, "FractionOfTotal")]
    [InlineData("12.5 %", true, 0.125, "FractionOfTotal")]
    [InlineData("0", true, 0.0, "Steps")]
    [InlineData("1e3", true, 1000.0, "Steps")]
    public void Parses_steps_epochs_and_percentages(string text, bool allowPercent, double value, string unit)
    {
        var parsed = StepCountSyntax.Parse(text, allowPercent, 0, false, null, out var error);
        Assert.True(parsed.HasValue, error?.ToString());
        Assert.Equal(value, parsed!.Value.Value, 12);
        Assert.Equal(unit, parsed.Value.Unit.ToString());
    }

    [Theory]
    [InlineData("2 epocs", "DSLU0004", "has an unknown unit 'epocs' in '2 epocs'. Did you mean 'epochs'? Units: steps, epochs")]
    [InlineData("5 stpes", "DSLU0004", "Did you mean 'steps'?")]
    [InlineData("2 hours", "DSLU0004", "has an unknown unit 'hours' in '2 hours'. Units: steps, epochs")]
    [InlineData("10%", "DSLU0004", "cannot be a percentage ('10%')")]
    [InlineData("two epochs", "DSLU0004", "expects a step count (10, \"10 steps\", \"2 epochs\" or \"0.5 epoch\"), got 'two epochs'")]
    [InlineData("2.5", "DSLU0005", "must be a whole number of steps, got '2.5'")]
    [InlineData("2.5 steps", "DSLU0005", "must be a whole number of steps")]
    [InlineData("0", "DSLU0005", "must be >= 1 steps, got '0'")]
    [InlineData("0 epochs", "DSLU0005", "must be more than 0 epochs")]
    [InlineData("-2 epochs", "DSLU0005", "must be 0 or more")]
    [InlineData("1e12", "DSLU0005", "must be at most 2147483647 steps")]
    [InlineData("1e9 epochs", "DSLU0005", "must be at most 1000000 epochs")]
    public void Run_length_errors(string text, string id, string message)
    {
        var parsed = StepCountSyntax.Parse(text, allowPercent: false, 1, false, null, out var error);
        Assert.Null(parsed);
        Assert.Equal(id, error!.Descriptor.Id);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("150%", "must be at most 100% of the run's steps")]
    [InlineData("-1", "must be 0 or more")]
    public void Cadence_errors(string text, string message)
    {
        Assert.Null(StepCountSyntax.Parse(text, allowPercent: true, 0, false, null, out var error));
        Assert.Equal(SpecDiagnosticIds.OutOfRange, error!.Descriptor.Id);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    steps: 2 epocs\n", "DSLU0004@4,12", "'steps' has an unknown unit 'epocs' in '2 epocs'. Did you mean 'epochs'? Units: steps, epochs")]
    [InlineData("    steps: 10%\n", "DSLU0004@4,12", "'steps' cannot be a percentage ('10%')")]
    [InlineData("    steps: 2.5\n", "DSLU0005@4,12", "'steps' must be a whole number of steps, got '2.5'; round it, or give epochs (\"0.5 epoch\")")]
    [InlineData("    steps: true\n", "DSLU0004@4,12", "'steps' expects a step count")]
    [InlineData("    warmup_steps: 150%\n", "DSLU0005@4,19", "'warmup_steps' must be at most 100% of the run's steps, got '150%'")]
    [InlineData("    checkpoint_every: 1 epoc\n", "DSLU0004@4,23", "Did you mean 'epochs'?")]
    public void Diagnostics_point_at_the_value(string line, string position, string message)
        => Assert.Contains(message, GeneratorHarness.Messages("experiment: t\nunlearn:\n  - method: ga\n" + line, position).Single(), StringComparison.Ordinal);

    [Fact]
    public void Plain_integers_emit_as_before_and_units_emit_a_step_count()
    {
        var run = GeneratorHarness.Run(("s.yaml",
            "experiment: s\nunlearn:\n" +
            "  - method: ga\n    steps: 10\n    warmup_steps: 2 steps\n" +
            "  - method: gd\n    steps: 2 epochs\n    warmup_steps: 10%\n    checkpoint_every: 0.5 epoch\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
        var source = run.Source("s.g.cs")!;
        Assert.Contains("GaOptions { Steps = 10, WarmupSteps = 2 }", source);
        Assert.Contains("GdOptions { Steps = new global::DslUnlearn.Specs.Vocabulary.StepCount(2.0, global::DslUnlearn.Specs.Vocabulary.StepUnit.Epochs), " +
                        "WarmupSteps = new global::DslUnlearn.Specs.Vocabulary.StepCount(0.1, global::DslUnlearn.Specs.Vocabulary.StepUnit.FractionOfTotal), " +
                        "CheckpointEvery = new global::DslUnlearn.Specs.Vocabulary.StepCount(0.5, global::DslUnlearn.Specs.Vocabulary.StepUnit.Epochs) }", source);
    }

    [Fact]
    public void Step_counts_sweep_with_their_written_text_as_cell_ids()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nunlearn:\n  - method: ga\n    steps: [5, 1 epoch, 2 epochs]\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        var names = System.Text.RegularExpressions.Regex.Matches(run.Source("s.g.cs")!, "Name = \"([^\"]+)\",\\s+MethodName").Select(m => m.Groups[1].Value);
        Assert.Equal(new[] { "ga[steps=5]", "ga[steps=1 epoch]", "ga[steps=2 epochs]" }, names);
    }

    [Fact]
    public void Finetune_warmup_takes_a_step_count()
    {
        var run = GeneratorHarness.Run(("s.yaml", "experiment: s\nfinetune:\n  warmup_steps: 10%\n"), ("t.yaml", "experiment: t\nfinetune:\n  warmup_steps: 3\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
        Assert.Contains("WarmupSteps = new global::DslUnlearn.Specs.Vocabulary.StepCount(0.1, global::DslUnlearn.Specs.Vocabulary.StepUnit.FractionOfTotal),", run.Source("s.g.cs"));
        Assert.Contains("WarmupSteps = 3,", run.Source("t.g.cs"));

        var bad = GeneratorHarness.Run(("spec.yaml", "experiment: t\nfinetune:\n  warmup_steps: 1 epoc\n"));
        Assert.Equal(new[] { "DSLU0004@3,17" }, bad.Positions);
        Assert.Contains("'warmup_steps' has an unknown unit 'epoc' in '1 epoc'. Did you mean 'epochs'?", bad.Diagnostics.Single().GetMessage());
    }

    [Fact]
    public void The_catalog_knows_which_options_are_step_counts()
    {
        var ga = GeneratorHarness.RuntimeCatalog.Find(ComponentKind.Method, "ga")!;
        Assert.Equal(SpecValueKind.StepCount, ga.Find("steps")!.Kind);
        Assert.False(ga.Find("steps")!.AllowsPercent);
        Assert.Equal(SpecValueKind.StepCount, ga.Find("warmup_steps")!.Kind);
        Assert.True(ga.Find("warmup_steps")!.AllowsPercent);
        Assert.Equal(SpecValueKind.StepCount, ga.Find("checkpoint_every")!.Kind);
        Assert.Equal(SpecValueKind.Integer, ga.Find("epochs")!.Kind);
    }
}
