using System.Diagnostics;

namespace DslUnlearn.Generators.Tests;

/// <summary>`dslunlearn validate` shares the parser and binder with the generator, and reads its catalog from the build.</summary>
public sealed class ValidateCommandTests
{
    [Fact]
    public void The_catalog_data_the_build_carries_reads_back_as_the_generator_catalog()
    {
        // validate and components read ExperimentComponents.Catalog, the generator's own catalog written as data.
        var catalog = ComponentReader.Read(GeneratorHarness.CreateCompilation(true), CancellationToken.None);
        Assert.Contains(catalog.Components, c => c.Options.Any(o => o.EnumMembers.Count > 0));
        Assert.Contains(catalog.Components, c => c.Options.Any(o => o.Min is not null && o.MinExclusive));
        Assert.Contains(catalog.Components, c => c.LowerIsBetter);
        Assert.Contains(catalog.Sections, s => s.Keys.Any(k => k.Aliases.Count > 0 && k.Default is not null));
        var read = CatalogData.Read(CatalogData.Write(catalog));
        Assert.Equal(catalog.Sections, read.Sections);
        foreach (var (a, b) in catalog.Components.Zip(read.Components))
        {
            Assert.Equal(a.Options.ToArray(), b.Options.ToArray());
            Assert.Equal(a, b);
        }

        Assert.Equal(catalog, read);
        var tricky = new ComponentCatalog(new[]
        {
            new ComponentInfo(ComponentKind.Metric, "m", "global::M", "global::O", "quotes \" and \\ and\ttabs, \u2581, \u03b1 \u2265 1\nnew line", new[]
            {
                new SpecKey("k", "K", SpecValueKind.Number, "double", true, 1e-300, true, double.MaxValue, false, true, "", EquatableArray<EnumMemberInfo>.Empty),
            }.ToEquatableArray()),
        }.ToEquatableArray(), new[] { "a problem: \"x\"" }.ToEquatableArray());
        Assert.Equal(tricky, CatalogData.Read(CatalogData.Write(tricky)));
    }

    [Fact]
    public void Validate_prints_the_build_diagnostics_and_exits_1_0_or_2()
    {
        using var dir = new TempFolder();
        var project = Path.Combine(dir.Path, "experiments");
        Directory.CreateDirectory(Path.Combine(project, "base"));
        File.WriteAllText(Path.Combine(project, "x.csproj"), "<Project />");
        File.WriteAllText(Path.Combine(project, "base", "b.yaml"), "finetune:\n  epochs: 2\n");
        File.WriteAllText(Path.Combine(project, "good.yaml"), "experiment: good\nextends: base/b.yaml\nunlearn:\n  - method: gd\n    lr: [1e-4, 2e-4]\n");
        const string Bad = "experiment: bad\nseed: x\nunlearn:\n  - method: gx\nextends: base/none.yaml\n";
        File.WriteAllText(Path.Combine(project, "bad.yaml"), Bad);

        var (code, output) = Cli("validate", Path.Combine(project, "good.yaml"));
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, output.Trim());

        (code, output) = Cli("validate", project);
        Assert.Equal(1, code);
        var path = Path.Combine(project, "bad.yaml");
        var expected = GeneratorHarness.Compile(path, Bad, "bad.yaml", new SpecContext(project, null, p => File.Exists(p) ? File.ReadAllText(p) : null))
            .Diagnostics.Select(d => d.ToString()).ToList();
        Assert.Equal(3, expected.Count);
        Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(path + "(2,7): error DSLU0004: 'seed' expects an integer", output);

        Assert.Equal(2, Cli("validate").Code);
        Assert.Equal(2, Cli("validate", Path.Combine(project, "missing.yaml")).Code);
    }

    [Fact]
    public void Components_prints_the_help_text_the_real_build_compiled_in()
    {
        var (code, output) = Cli("components", "ga");
        Assert.Equal(0, code);
        Assert.StartsWith("method ga", output, StringComparison.Ordinal);
        Assert.Matches(@"\n  lr +number +Learning rate\.\n", output);
        Assert.Matches(@"\n  steps +steps \| ""N epochs"" +Length of the run", output);

        (code, output) = Cli("components", "es_exact");
        Assert.Equal(0, code);
        Assert.Contains("  (no options)", output);
        Assert.Equal(2, Cli("components", "gx").Code); // unknown name: usage error, with a did-you-mean on stderr
    }

    [Fact]
    public void Validate_shows_the_cell_count_of_experiment_sweeps()
    {
        using var dir = new TempFolder();
        var project = Path.Combine(dir.Path, "experiments");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "x.csproj"), "<Project />");
        File.WriteAllText(Path.Combine(project, "seeds.yaml"), "experiment: seeds\nseed: [1, 2]\nfinetune:\n  lr: [1e-3, 3e-3]\n");

        var (code, output, error) = CliWithErrors("validate", project);
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, output.Trim());
        Assert.Contains("seeds: 4 experiment cell(s): seed=1,finetune.lr=1e-3; seed=1,finetune.lr=3e-3; seed=2,finetune.lr=1e-3; seed=2,finetune.lr=3e-3\n", error);
        Assert.Contains("1 spec(s) checked: no errors.", error);
    }

    private static (int Code, string Output) Cli(params string[] args)
    {
        var (code, output, _) = CliWithErrors(args);
        return (code, output);
    }

    internal static (int Code, string Output, string Error) CliWithErrors(params string[] args)
    {
        var config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Config>/net10.0
        var dll = Path.Combine(RepoPaths.Root, "src", "DslUnlearn.Cli", "bin", config, "net10.0", "dslunlearn.dll");
        Assert.True(File.Exists(dll), $"build the CLI first: {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "dslunlearn validate did not finish");
        return (process.ExitCode, stdout.Result.Replace("\r\n", "\n"), stderr.Result.Replace("\r\n", "\n"));
    }

    internal sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("dslu-validate-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
