namespace DslUnlearn.Generators.Tests;

/// <summary>The Roslyn-free core: helpers the CLI will share.</summary>
public sealed class CoreTests
{
    [Theory]
    [InlineData(0.003, "0.003")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(10000d, "10000.0")]
    [InlineData(0d, "0.0")]
    [InlineData(1.0, "1.0")]
    [InlineData(5e-4, "0.0005")]
    [InlineData(1e20, "1E+20")]
    public void Double_literals_round_trip_and_compile_as_double(double value, string expected)
        => Assert.Equal(expected, Emitter.DoubleLiteral(value));

    [Theory]
    [InlineData("quickstart", "QuickstartExperiment")]
    [InlineData("tofu-ga_sweep", "TofuGaSweepExperiment")]
    [InlineData("a--b", "ABExperiment")]
    [InlineData("run2", "Run2Experiment")]
    public void Class_names_are_pascal_case(string name, string expected)
        => Assert.Equal(expected, SpecCompiler.ClassNameOf(name));

    [Theory]
    [InlineData("/repo/experiments", "/repo/experiments/quickstart.yaml", "quickstart.yaml")]
    [InlineData("/repo/experiments/", "/repo/experiments/sub/x.yaml", "sub/x.yaml")]
    [InlineData(@"C:\repo\experiments", @"C:\repo\experiments\sub\x.yaml", "sub/x.yaml")]
    [InlineData("", "/elsewhere/x.yaml", "x.yaml")]
    [InlineData("/repo/experiments", "/other/y.yaml", "y.yaml")]
    public void Relative_paths_use_forward_slashes(string projectDir, string path, string expected)
        => Assert.Equal(expected, SpecCompiler.MakeRelative(projectDir, path));

    [Theory]
    [InlineData("a\"b\\c\n\t\r\0", "\"a\\\"b\\\\c\\n\\t\\r\\0\"")]
    [InlineData("\u2028\u0001", "\"\\u2028\\u0001\"")]
    [InlineData("héllo", "\"héllo\"")]
    public void String_literals_are_escaped(string value, string expected)
        => Assert.Equal(expected, Emitter.Literal(value));

    [Fact]
    public void Diagnostics_print_like_msbuild()
    {
        var result = GeneratorHarness.Compile("/p/x.yaml", "experiment: t\nfinetune:\n  lrr: 1\n", "x.yaml");
        var d = Assert.Single(result.Diagnostics);
        Assert.StartsWith("/p/x.yaml(3,3): error DSLU0003: unknown key 'lrr'", d.ToString());
        Assert.Equal((3, 3, 3, 6), (d.StartLine, d.StartColumn, d.EndLine, d.EndColumn));
    }

    [Fact]
    public void Every_spec_property_is_set_explicitly_from_the_schema()
    {
        var result = GeneratorHarness.Compile("/p/x.yaml", "experiment: t\n", "x.yaml");
        var spec = Assert.IsType<ExperimentModel>(result.Model).Spec;
        // Cell is set only on the cells of an experiment-level sweep (so specs without one generate as before).
        var expected = typeof(DslUnlearn.Specs.ExperimentSpec).GetProperties().Select(p => p.Name).Where(n => n is not ("EqualityContract" or "Cell"));
        Assert.Equal(expected.OrderBy(x => x), spec.Properties.Select(p => p.Name).OrderBy(x => x));
        var swept = Assert.IsType<ExperimentModel>(GeneratorHarness.Compile("/p/x.yaml", "experiment: t\nseed: [1, 2]\n", "x.yaml").Model).Spec;
        Assert.Equal(expected.Append("Cell").OrderBy(x => x), swept.Properties.Select(p => p.Name).OrderBy(x => x));

        foreach (var (type, obj) in new (Type, SpecObject)[]
                 {
                     (typeof(DslUnlearn.Specs.Vocabulary.DataSpec), (SpecObject)spec.Get("Data")!),
                     (typeof(DslUnlearn.Specs.ModelSpec), (SpecObject)spec.Get("Model")!),
                     (typeof(DslUnlearn.Specs.Vocabulary.PromptSpec), (SpecObject)spec.Get("Prompt")!),
                     (typeof(DslUnlearn.Specs.Vocabulary.FinetuneSpec), (SpecObject)spec.Get("Finetune")!),
                     (typeof(DslUnlearn.Specs.ReportSpec), (SpecObject)spec.Get("Report")!),
                     (typeof(DslUnlearn.Specs.MetricSpec), (SpecObject)((SpecList)spec.Get("Metrics")!).Items[0]),
                 })
        {
            Assert.Equal(type.GetProperties().Select(p => p.Name).OrderBy(x => x), obj.Properties.Select(p => p.Name).OrderBy(x => x));
        }

        var unlearn = GeneratorHarness.Compile("/p/x.yaml", "experiment: t\nunlearn:\n  - method: ga\n", "x.yaml").Model!;
        var item = (SpecObject)((SpecList)unlearn.Spec.Get("Unlearn")!).Items[0];
        Assert.Equal(typeof(DslUnlearn.Specs.UnlearnSpec).GetProperties().Select(p => p.Name).OrderBy(x => x), item.Properties.Select(p => p.Name).OrderBy(x => x));
        Assert.Equal(new SpecString("ga"), item.Get("Name"));
        Assert.Equal(new SpecString("ga"), item.Get("MethodName"));
        Assert.Equal("global::DslUnlearn.Methods.GradientAscent", Assert.IsType<SpecNew>(item.Get("Method")).Type);
        Assert.Equal(SpecNull.Instance, item.Get("Cell"));
    }
}
