using DslUnlearn.Experiments;
using DslUnlearn.Generators.Dsl;

namespace DslUnlearn.Cli;

/// <summary>
/// `dslunlearn validate &lt;file|dir&gt;`: the build's spec diagnostics without building. It compiles the same
/// Dsl/ sources as the source generator (linked into this project), against the component catalog of this build
/// (the data the generator compiled into <see cref="ExperimentComponents.Catalog"/>), and prints `path(line,col): error DSLUxxxx: message`.
/// Then what the build cannot see: the checkpoint folder a compiled spec names, its config.json, tokenizer and weight headers
/// (<see cref="CheckpointCheck"/>, DSLU0029).
/// Exit codes: 0 clean, 1 any error, 2 usage error.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var path = new Argument<string?>("path") { Description = "A spec file, or a folder whose *.yaml specs are checked (bin/ and obj/ skipped).", Arity = ArgumentArity.ZeroOrOne };
        var dataRoots = new Option<string[]>("--data-root") { Description = "An extra folder data/model paths may point into (repeatable; default: the repository and ../shared/data)." };
        var command = new Command("validate", "Check YAML specs and print their diagnostics, exactly as the build reports them.") { path, dataRoots };
        command.SetAction(parse => Run(parse.GetValue(path), parse.GetValue(dataRoots) ?? [], Console.Out, Console.Error));
        return command;
    }

    public static int Run(string? target, IReadOnlyList<string> dataRoots, TextWriter output, TextWriter error)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            error.WriteLine("usage: dslunlearn validate <file.yaml|folder> [--data-root DIR]...");
            return Commands.Usage;
        }

        var full = Path.GetFullPath(target);
        List<string> files;
        string start;
        if (File.Exists(full))
        {
            files = [full];
            start = Path.GetDirectoryName(full)!;
        }
        else if (Directory.Exists(full))
        {
            files = SpecFiles(full).ToList();
            start = full;
        }
        else
        {
            error.WriteLine($"error: '{target}' is neither a spec file nor a folder.");
            return Commands.Usage;
        }

        var project = ProjectDirectory(start);
        var context = new SpecContext(project, dataRoots, p => ReadProjectYaml(project, p));
        var catalog = Catalog();
        var diagnostics = new List<SpecDiagnostic>();
        var models = new List<ExperimentModel>();
        var checkpoints = new List<string>();
        int checkedSpecs = 0, bases = 0;
        foreach (var file in files)
        {
            if (context.IsBaseFile(file))
            {
                bases++;
                continue;
            }

            checkedSpecs++;
            string? text = null;
            try { text = File.ReadAllText(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            var result = SpecCompiler.Compile(file, text, SpecCompiler.MakeRelative(project, file), context, catalog);
            diagnostics.AddRange(result.Diagnostics);
            if (result.Model is not { } model) continue;
            models.Add(model);
            if (CheckpointCheck.Check(file, text!, model, context, dataRoots.Count > 0) is { } checkpoint)
            {
                diagnostics.AddRange(checkpoint.Diagnostics);
                if (checkpoint.Summary is { } summary) checkpoints.Add($"{model.Name}: {summary}");
            }
        }

        diagnostics.AddRange(SpecCompiler.CheckUniqueNames(models).Diagnostics);
        foreach (var problem in catalog.Problems)
            output.WriteLine($"dslunlearn: error {SpecDiagnosticIds.InvalidComponent}: {problem}");
        foreach (var d in diagnostics)
            output.WriteLine((d with { FilePath = Display(d.FilePath) }).ToString());

        int errors = diagnostics.Count(d => d.Severity == SpecSeverity.Error) + catalog.Problems.Count;
        foreach (var m in models.Where(m => m.Cells.Count > 0))
            error.WriteLine($"{m.Name}: {m.Cells.Count} experiment cell(s): {string.Join("; ", m.Cells.Select(c => c.Id))}");
        foreach (var line in checkpoints)
            error.WriteLine(line);
        var note = bases > 0 ? $" ({bases} base file(s) under base/ checked through the specs that extend them)" : "";
        error.WriteLine($"{checkedSpecs} spec(s) checked{note}: {(errors == 0 ? "no errors" : $"{errors} error(s)")}.");
        return errors == 0 ? Commands.Ok : Commands.Failed;
    }

    /// <summary>The components of this build, as the generator read them from the experiments project's references.</summary>
    internal static ComponentCatalog Catalog() => CatalogData.Read(ExperimentComponents.Catalog);

    /// <summary>The nearest folder holding a .csproj (the experiments project), else the start folder.</summary>
    private static string ProjectDirectory(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (dir.EnumerateFiles("*.csproj").Any()) return dir.FullName;
        return start;
    }

    /// <summary>What the generator sees of other files: the project's *.yaml outside bin/ and obj/.</summary>
    private static string? ReadProjectYaml(string project, string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(project, full).Replace('\\', '/');
        if (relative.StartsWith("../", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal) ||
            relative.StartsWith("obj/", StringComparison.Ordinal) || !full.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || !File.Exists(full))
            return null;
        return File.ReadAllText(full);
    }

    private static IEnumerable<string> SpecFiles(string folder)
        => Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(folder, p).Replace('\\', '/').Split('/').Any(s => s is "bin" or "obj"))
            .OrderBy(p => p, StringComparer.Ordinal);

    /// <summary>Relative to the working folder when inside it, else absolute.</summary>
    internal static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
