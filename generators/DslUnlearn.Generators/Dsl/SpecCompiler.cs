using System.Text;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The Roslyn-free entry point of the spec language: YAML text in, model and diagnostics out. The source generator
/// and the CLI's <c>validate</c> command both call this, so they report identical diagnostics.
/// </summary>
internal static class SpecCompiler
{
    /// <summary>Compiles one spec file. Never throws: an unexpected failure becomes DSLU0099 at the file start.</summary>
    /// <param name="path">The file path diagnostics point at (absolute in builds).</param>
    /// <param name="text">The file's text; null when it could not be read.</param>
    /// <param name="relativePath">The path relative to the project, written into the spec's SourceFile.</param>
    /// <param name="context">The project, allowed roots and file reader (for extends); <see cref="SpecContext.None"/> when null.</param>
    /// <param name="catalog">The discovered components; none when null.</param>
    public static SpecFileResult Compile(string path, string? text, string relativePath, SpecContext? context = null, ComponentCatalog? catalog = null)
        => Compile(path, text, relativePath, context, SpecSchema.Create(catalog ?? ComponentCatalog.Empty));

    /// <summary>As above, with a prebuilt schema.</summary>
    public static SpecFileResult Compile(string path, string? text, string relativePath, SpecContext? context, SpecSchema schema)
    {
        if (context is not null && context.IsBaseFile(path))
        {
            // A base (under base/): merged into the specs that extend it, never an experiment of its own.
            return new SpecFileResult(null, EquatableArray<SpecDiagnostic>.Empty);
        }

        var diagnostics = new List<SpecDiagnostic>();
        ExperimentModel? model = null;
        try
        {
            if (text is null)
            {
                diagnostics.Add(SpecDiagnostic.Create(SpecDescriptors.SyntaxError, path, SourceSpan.FileStart,
                    "the spec file could not be read"));
            }
            else
            {
                var root = YamlReader.Read(text, path, diagnostics, out var syntaxError);
                if (!syntaxError)
                {
                    model = new SpecBinder(schema, path, relativePath, diagnostics, context).Bind(root) is { } bound
                        ? bound with { KeyNeutral = schema.KeyNeutral.ToEquatableArray() }
                        : null;
                }
            }
        }
        catch (Exception ex)
        {
            model = null;
            diagnostics.Add(SpecDiagnostic.Create(SpecDescriptors.InternalError, path, SourceSpan.FileStart,
                $"internal error in the DslUnlearn spec compiler ({ex.GetType().Name}: {ex.Message}); please report it with this file"));
        }

        if (diagnostics.Any(d => d.Severity == SpecSeverity.Error))
        {
            model = null;
        }

        // This file's diagnostics first, by position; then those inside base files it extends.
        var sorted = diagnostics.OrderBy(d => d.FilePath == path ? 0 : 1).ThenBy(d => d.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.StartLine).ThenBy(d => d.StartColumn);
        return new SpecFileResult(model, sorted.ToEquatableArray());
    }

    /// <summary>
    /// Checks that experiment names (and the class names they map to) are unique across files. Files are taken in
    /// <see cref="ExperimentModel.SourceFile"/> order; the first one keeps the name, the others get DSLU0008 and are
    /// left out of <c>Accepted</c> (sorted by name).
    /// </summary>
    public static (EquatableArray<SpecDiagnostic> Diagnostics, EquatableArray<ExperimentModel> Accepted) CheckUniqueNames(
        IEnumerable<ExperimentModel> models)
    {
        var diagnostics = new List<SpecDiagnostic>();
        var accepted = new List<ExperimentModel>();
        var byName = new Dictionary<string, ExperimentModel>(StringComparer.Ordinal);
        var byClass = new Dictionary<string, ExperimentModel>(StringComparer.Ordinal);
        foreach (var model in models.OrderBy(m => m.SourceFile, StringComparer.Ordinal).ThenBy(m => m.NameLocation.FilePath, StringComparer.Ordinal))
        {
            string? message = null;
            if (byName.TryGetValue(model.Name, out var other))
            {
                message = $"experiment name '{model.Name}' is already used by '{other.SourceFile}' (line {other.NameLocation.Span.StartLine}); " +
                          "experiment names must be unique across the project: rename one of them";
            }
            else if (byClass.TryGetValue(model.ClassName, out other))
            {
                message = $"experiment name '{model.Name}' maps to class '{model.ClassName}', like '{other.Name}' in '{other.SourceFile}'; " +
                          "rename one of them";
            }

            if (message is not null)
            {
                diagnostics.Add(SpecDiagnostic.Create(SpecDescriptors.DuplicateExperiment, model.NameLocation.FilePath,
                    model.NameLocation.Span, message));
                continue;
            }

            byName.Add(model.Name, model);
            byClass.Add(model.ClassName, model);
            accepted.Add(model);
        }

        return (diagnostics.ToEquatableArray(), accepted.OrderBy(m => m.Name, StringComparer.Ordinal).ToEquatableArray());
    }

    /// <summary>"quickstart" -> "QuickstartExperiment"; '-' and '_' split words.</summary>
    public static string ClassNameOf(string experimentName)
    {
        var sb = new StringBuilder();
        foreach (var part in experimentName.Split(new[] { '-', '_' }, StringSplitOptions.RemoveEmptyEntries))
        {
            sb.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
        }

        return sb.Append("Experiment").ToString();
    }

    /// <summary>The path of <paramref name="path"/> relative to <paramref name="projectDirectory"/>, with '/' separators; the file name when outside.</summary>
    public static string MakeRelative(string? projectDirectory, string path)
    {
        var file = path.Replace('\\', '/');
        if (!string.IsNullOrEmpty(projectDirectory))
        {
            var dir = projectDirectory!.Replace('\\', '/').TrimEnd('/') + "/";
            if (file.StartsWith(dir, StringComparison.OrdinalIgnoreCase))
            {
                return file.Substring(dir.Length);
            }
        }

        var slash = file.LastIndexOf('/');
        return slash >= 0 ? file.Substring(slash + 1) : file;
    }
}
