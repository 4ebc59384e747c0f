using System.Collections;
using System.Reflection;

namespace DslUnlearn.Generators.Tests;

/// <summary>The pipeline caches: same input -> every tracked step Cached/Unchanged; outputs hold no Roslyn objects.</summary>
public sealed class CacheabilityTests
{
    private static readonly string[] TrackedSteps = { "ProjectDirectory", "YamlFiles", "YamlFileSet", "XmlDocs", "Catalog", "Specs", "AllSpecs" };

    private const string SpecA = "experiment: alpha\nunlearn:\n  - method: ga\n";
    private const string SpecB = "experiment: beta\nfinetune:\n  lr: 1e-3\n";

    [Fact]
    public void Second_run_on_a_cloned_compilation_is_fully_cached()
    {
        var texts = new AdditionalText[]
        {
            new InMemoryAdditionalText(GeneratorHarness.PathOf("a.yaml"), SpecA),
            new InMemoryAdditionalText(GeneratorHarness.PathOf("b.yaml"), SpecB),
        };
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(texts).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();

        driver = driver.RunGenerators(compilation.Clone());
        var second = driver.GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
        {
            Assert.True(first.TrackedSteps.ContainsKey(step), $"step {step} is not tracked");
            Assert.True(second.TrackedSteps.ContainsKey(step), $"step {step} is not tracked");
            var reasons = second.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }

        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Equal(
            first.GeneratedSources.Select(s => s.SourceText.ToString()),
            second.GeneratedSources.Select(s => s.SourceText.ToString()));
    }

    [Fact]
    public void Editing_one_of_two_files_reruns_only_that_files_step()
    {
        var a = new InMemoryAdditionalText(GeneratorHarness.PathOf("a.yaml"), SpecA);
        var b = new InMemoryAdditionalText(GeneratorHarness.PathOf("b.yaml"), SpecB);
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(new AdditionalText[] { a, b }).RunGenerators(compilation);

        var editedB = new InMemoryAdditionalText(b.Path, SpecB.Replace("1e-3", "2e-3"));
        driver = driver.ReplaceAdditionalText(b, editedB).RunGenerators(compilation.Clone());
        var result = driver.GetRunResult().Results.Single();

        foreach (var step in new[] { "YamlFiles", "Specs" })
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.Equal(2, outputs.Count);
            var modified = outputs.Where(o => o.Reason == IncrementalStepRunReason.Modified).ToList();
            var kept = outputs.Where(o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged).ToList();
            Assert.Single(modified);
            Assert.Single(kept);
            var path = step == "Specs"
                ? ((SpecFileResult)modified[0].Value).Model!.SourceFile
                : ((YamlFile)modified[0].Value).Path;
            Assert.EndsWith("b.yaml", path);
        }

        Assert.Contains("Lr = 0.002,", result.GeneratedSources.Single(s => s.HintName == "beta.g.cs").SourceText.ToString());
    }

    [Fact]
    public void Editing_a_base_changes_only_the_specs_that_extend_it()
    {
        var baseFile = new InMemoryAdditionalText(GeneratorHarness.PathOf("base/b.yaml"), "finetune:\n  epochs: 2\n");
        var child = new InMemoryAdditionalText(GeneratorHarness.PathOf("child.yaml"), "experiment: child\nextends: base/b.yaml\n");
        var other = new InMemoryAdditionalText(GeneratorHarness.PathOf("other.yaml"), SpecB);
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(new AdditionalText[] { baseFile, child, other }).RunGenerators(compilation);

        driver = driver.ReplaceAdditionalText(baseFile, new InMemoryAdditionalText(baseFile.Path, "finetune:\n  epochs: 3\n")).RunGenerators(compilation.Clone());
        var result = driver.GetRunResult().Results.Single();
        var specs = result.TrackedSteps["Specs"].SelectMany(s => s.Outputs).ToList();
        var modified = specs.Where(o => o.Reason == IncrementalStepRunReason.Modified).Select(o => ((SpecFileResult)o.Value).Model?.Name).ToList();
        Assert.Equal(new[] { "child" }, modified);
        Assert.Equal(2, specs.Count(o => o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached));
        Assert.Contains("Epochs = 3,", result.GeneratedSources.Single(s => s.HintName == "child.g.cs").SourceText.ToString());
    }

    [Fact]
    public void A_change_that_keeps_the_model_skips_emission()
    {
        var a = new InMemoryAdditionalText(GeneratorHarness.PathOf("a.yaml"), SpecA);
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(new AdditionalText[] { a }).RunGenerators(compilation);

        // A trailing comment changes the text but not the model: the per-file step reruns and finds it Unchanged.
        var edited = new InMemoryAdditionalText(a.Path, SpecA + "# trailing comment\n");
        driver = driver.ReplaceAdditionalText(a, edited).RunGenerators(compilation.Clone());
        var result = driver.GetRunResult().Results.Single();
        Assert.Equal(IncrementalStepRunReason.Modified, result.TrackedSteps["YamlFiles"].Single().Outputs.Single().Reason);
        Assert.Equal(IncrementalStepRunReason.Unchanged, result.TrackedSteps["Specs"].Single().Outputs.Single().Reason);
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));

        // A comment above the name moves its location (data in the model), so the model changes.
        driver = driver.ReplaceAdditionalText(edited, new InMemoryAdditionalText(a.Path, "# header\n" + SpecA)).RunGenerators(compilation.Clone());
        result = driver.GetRunResult().Results.Single();
        Assert.Equal(IncrementalStepRunReason.Modified, result.TrackedSteps["Specs"].Single().Outputs.Single().Reason);
    }

    [Fact]
    public void Same_text_gives_equal_models()
    {
        var first = GeneratorHarness.Compile("/p/a.yaml", SpecA, "a.yaml");
        var second = GeneratorHarness.Compile("/p/a.yaml", new string(SpecA.ToCharArray()), "a.yaml");
        Assert.NotNull(first.Model);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());

        var bad1 = GeneratorHarness.Compile("/p/a.yaml", "experiment: t\nseed: x\n", "a.yaml");
        var bad2 = GeneratorHarness.Compile("/p/a.yaml", "experiment: t\nseed: x\n", "a.yaml");
        Assert.Equal(bad1, bad2);
        Assert.NotEqual(first, GeneratorHarness.Compile("/p/a.yaml", SpecA.Replace("ga", "gd"), "a.yaml"));
    }

    [Fact]
    public void Tracked_outputs_hold_no_symbols_syntax_nodes_or_locations()
    {
        var texts = new AdditionalText[]
        {
            new InMemoryAdditionalText(GeneratorHarness.PathOf("a.yaml"), SpecA),
            new InMemoryAdditionalText(GeneratorHarness.PathOf("bad.yaml"), "experiment: bad\nseed: x\n"),
        };
        var driver = GeneratorHarness.CreateDriver(texts).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();
        foreach (var step in TrackedSteps)
        {
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                AssertNoRoslynObjects(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance), 0);
            }
        }
    }

    private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen, int depth)
    {
        if (value is null || depth > 32)
        {
            return;
        }

        var type = value.GetType();
        Assert.False(value is ISymbol || value is SyntaxNode || value is Location || value is Compilation || value is SemanticModel || value is SyntaxTree,
            $"{path} holds a {type.FullName}");
        if (type.IsPrimitive || type.IsEnum || value is string || value is decimal || value is Type || value is Delegate)
        {
            return;
        }

        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable sequence)
        {
            var i = 0;
            foreach (var item in sequence)
            {
                AssertNoRoslynObjects(item, $"{path}[{i++}]", seen, depth + 1);
            }
        }

        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                AssertNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", seen, depth + 1);
            }
        }
    }
}
