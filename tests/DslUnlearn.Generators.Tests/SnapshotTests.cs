namespace DslUnlearn.Generators.Tests;

/// <summary>The generated source of every spec in experiments/ equals its approved snapshot, and compiles.</summary>
public sealed class SnapshotTests
{
    public static TheoryData<string> Specs()
    {
        var data = new TheoryData<string>();
        foreach (var path in RepoPaths.ExperimentSpecs())
        {
            data.Add(Path.GetRelativePath(RepoPaths.Experiments, path).Replace('\\', '/'));
        }

        return data;
    }

    private static readonly Lazy<GeneratorRun> LazyRun = new(() =>
    {
        var texts = RepoPaths.AllYaml()
            .Select(p => (AdditionalText)new InMemoryAdditionalText(p, File.ReadAllText(p)))
            .ToArray();
        return GeneratorHarness.Run(texts, RepoPaths.Experiments);
    });

    private static readonly Lazy<System.Reflection.Assembly> LazyAssembly = new(() =>
    {
        using var stream = new MemoryStream();
        var emit = RunOnExperiments().Output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return System.Reflection.Assembly.Load(stream.ToArray());
    });

    private static GeneratorRun RunOnExperiments() => LazyRun.Value;

    private static SpecContext ExperimentsContext()
        => new(RepoPaths.Experiments, null, p => File.Exists(p) ? File.ReadAllText(p) : null);

    [Fact]
    public void Experiments_folder_has_specs()
        => Assert.NotEmpty(RepoPaths.ExperimentSpecs());

    [Theory]
    [MemberData(nameof(Specs))]
    public void Generated_spec_matches_snapshot(string relativePath)
    {
        var path = Path.Combine(RepoPaths.Experiments, relativePath);
        var compiled = GeneratorHarness.Compile(path, File.ReadAllText(path), relativePath, ExperimentsContext());
        Assert.Empty(compiled.Diagnostics.Select(d => d.ToString()));
        var model = Assert.IsType<ExperimentModel>(compiled.Model);
        Assert.Equal(relativePath, model.SourceFile);

        var run = RunOnExperiments();
        var source = run.Source(model.HintName);
        Assert.NotNull(source);
        Approvals.Verify(source!, Path.Combine(RepoPaths.Snapshots, SnapshotNames.GeneratedSource(relativePath)));
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Resolved_spec_matches_snapshot(string relativePath)
    {
        var path = Path.Combine(RepoPaths.Experiments, relativePath);
        var model = GeneratorHarness.Compile(path, File.ReadAllText(path), relativePath, ExperimentsContext()).Model;
        Assert.NotNull(model);
        var type = LazyAssembly.Value.GetType($"{Emitter.Namespace}.{model!.ClassName}", throwOnError: true)!;
        // A spec with experiment-level sweeps: every cell (the first is Spec).
        var spec = (type.GetProperty("Cells") ?? type.GetProperty("Spec"))!.GetValue(null);
        Approvals.Verify(SpecJson.Serialize(spec), Path.Combine(RepoPaths.Snapshots, SnapshotNames.ResolvedSpec(relativePath)));
    }

    [Fact]
    public void Every_approved_snapshot_belongs_to_a_spec_and_no_two_specs_share_one()
    {
        var specs = RepoPaths.ExperimentSpecs().Select(p => Path.GetRelativePath(RepoPaths.Experiments, p).Replace('\\', '/'));
        var approved = Directory.EnumerateFiles(RepoPaths.Snapshots, "*.approved").Select(f => Path.GetFileName(f)!);
        Assert.Empty(SnapshotNames.Problems(specs, approved));
    }

    [Fact]
    public void Snapshot_names_come_from_the_relative_path_so_equal_stems_do_not_collide()
    {
        Assert.Equal("quickstart.g.cs.approved", SnapshotNames.GeneratedSource("quickstart.yaml"));
        Assert.Equal("paper__tofu__tofu-compare-forget01.spec.json.approved", SnapshotNames.ResolvedSpec("paper/tofu/tofu-compare-forget01.yaml"));
        Assert.Empty(SnapshotNames.Problems(new[] { "a/x.yaml", "b/x.yaml" }, new[] { "a__x.g.cs.approved", "b__x.spec.json.approved" }));
    }

    [Fact]
    public void The_snapshot_check_fails_on_a_name_collision_and_on_an_orphan()
    {
        var problems = SnapshotNames.Problems(
            new[] { "a/b.yaml", "a__b.yaml", "c.yaml" },
            new[] { "c.g.cs.approved", "gone.g.cs.approved", "paper__gone.spec.json.approved", "ExperimentCatalog.g.cs.approved", "notes.approved" });
        Assert.Equal(new[]
        {
            "specs a/b.yaml and a__b.yaml would share the snapshots a__b.*; rename one",
            "gone.g.cs.approved is an orphan: no experiments/gone.yaml; delete it (git rm) or restore the spec",
            "notes.approved is not a snapshot name (<spec path with __ for />.g.cs.approved or .spec.json.approved)",
            "paper__gone.spec.json.approved is an orphan: no experiments/paper/gone.yaml; delete it (git rm) or restore the spec",
        }, problems);
    }

    [Fact]
    public void Catalog_matches_snapshot()
    {
        var run = RunOnExperiments();
        var source = run.Source(Emitter.CatalogHintName);
        Assert.NotNull(source);
        Approvals.Verify(source!, Path.Combine(RepoPaths.Snapshots, "ExperimentCatalog.g.cs.approved"));
    }

    [Fact]
    public void Experiments_generate_without_diagnostics_and_compile_against_the_runtime()
    {
        var run = RunOnExperiments();
        Assert.Empty(run.DriverDiagnostics);
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        Assert.Null(run.Single.Exception);
        Assert.Equal(RepoPaths.ExperimentSpecs().Count + 2, run.Single.GeneratedSources.Length); // + catalog + components

        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString());
        Assert.Empty(errors);
        var warnings = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Warning).Select(d => d.ToString());
        Assert.Empty(warnings);
    }

    [Fact]
    public void Source_file_is_relative_to_the_project_never_absolute()
    {
        var run = RunOnExperiments();
        foreach (var tree in run.Single.GeneratedSources)
        {
            Assert.DoesNotContain(RepoPaths.Root, tree.SourceText.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Generated_code_compiles_with_defaults_escapes_and_several_specs()
    {
        var run = GeneratorHarness.Run(
            ("minimal.yaml", "experiment: minimal\n"),
            ("sub/tricky.yaml",
                "experiment: tricky_one-2\n" +
                "description: 'quotes \" and backslash \\ and tab'\n" +
                "prompt:\n  question_tag: \"Q:\\t\\\"x\\\"\\u00e9\\n\"\n  answer_tag: |\n    A:\n" +
                "model:\n  rope_theta: 500000\n  rms_norm_eps: .5e-6\n  heads: 8\n  kv_heads: 2\n  hidden_size: 64\n" +
                "unlearn:\n  - method: gd\n  - method: gd\n    name: gd-strong\n    retain_weight: 2\n" +
                "metrics:\n  - metric: em\n    splits: [retain]\n"));
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        Assert.Equal(new[] { "ExperimentCatalog.g.cs", "minimal.g.cs", "tricky_one-2.g.cs" }, run.HintNames.OrderBy(h => h, StringComparer.Ordinal));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));

        var minimal = run.Source("minimal.g.cs")!;
        Assert.Contains("SourceFile = \"minimal.yaml\",", minimal);
        Assert.Contains("Unlearn = global::System.Collections.Immutable.ImmutableArray.Create<global::DslUnlearn.Specs.UnlearnSpec>(),", minimal);
        Assert.Contains("Metric = new global::DslUnlearn.Metrics.EsExactMetric(new global::DslUnlearn.Metrics.NoOptions()),", minimal);
        Assert.Contains("Calibration = null,", minimal);
        Assert.Contains("Device = global::DslUnlearn.Specs.Vocabulary.DeviceKind.Auto,", minimal);
        Assert.Contains("KvHeads = 4,", minimal);
        Assert.Contains("RmsNormEps = 1E-05,", minimal);
        Assert.Contains("RopeTheta = 10000.0,", minimal);
        Assert.Contains("AnswerTag = \"\\nAnswer: \",", minimal);

        var tricky = run.Source("tricky_one-2.g.cs")!;
        Assert.Contains("public sealed partial class TrickyOne2Experiment", tricky);
        Assert.Contains("SourceFile = \"sub/tricky.yaml\",", tricky);
        Assert.Contains("Description = \"quotes \\\" and backslash \\\\ and tab\",", tricky);
        Assert.Contains("QuestionTag = \"Q:\\t\\\"x\\\"\u00e9\\n\",", tricky);
        Assert.Contains("AnswerTag = \"A:\\n\",", tricky);
        Assert.Contains("RopeTheta = 500000.0,", tricky);
        Assert.Contains("RmsNormEps = 5E-07,", tricky);
        Assert.Contains("KvHeads = 2,", tricky);
        Assert.Contains("Name = \"gd-strong\",", tricky);
        Assert.Contains("new global::DslUnlearn.Methods.GradientDifference(new global::DslUnlearn.Methods.GdOptions { Name = \"gd-strong\", RetainWeight = 2.0 })", tricky);
        Assert.Contains("ImmutableArray.Create<global::DslUnlearn.Specs.Vocabulary.SplitKind>(global::DslUnlearn.Specs.Vocabulary.SplitKind.Retain)", tricky);

        var catalog = run.Source(Emitter.CatalogHintName)!;
        Assert.True(catalog.IndexOf("MinimalExperiment", StringComparison.Ordinal) < catalog.IndexOf("TrickyOne2Experiment", StringComparison.Ordinal));
    }

    [Fact]
    public void Specs_with_errors_are_left_out_of_code_but_the_catalog_is_still_emitted()
    {
        var run = GeneratorHarness.Run(("good.yaml", "experiment: good\n"), ("bad.yaml", "experiment: bad\nseed: -1\n"));
        Assert.Equal(new[] { "DSLU0005@2,7" }, run.Positions);
        Assert.Equal(new[] { "ExperimentCatalog.g.cs", "good.g.cs" }, run.HintNames.OrderBy(h => h, StringComparer.Ordinal));
        Assert.DoesNotContain("BadExperiment", run.Source(Emitter.CatalogHintName)!);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
    }

    [Fact]
    public void No_specs_still_gives_an_empty_catalog_that_compiles()
    {
        var run = GeneratorHarness.Run(Array.Empty<AdditionalText>());
        Assert.Equal(new[] { "ExperimentCatalog.g.cs" }, run.HintNames);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
    }
}
