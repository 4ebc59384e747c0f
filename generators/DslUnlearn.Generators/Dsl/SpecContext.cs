namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Where a spec lives and what it may see: the project folder (experiments/), the repository root (its parent),
/// the roots paths must stay inside, and how to read other spec files (for <c>extends:</c>). The generator reads
/// files from its AdditionalFiles; the CLI from disk.
/// </summary>
internal sealed class SpecContext
{
    /// <summary>The declared data root used when none is configured: the shared data folder beside the repository.</summary>
    public const string DefaultDataRoot = "../shared/data";

    public SpecContext(string projectDirectory, IEnumerable<string>? dataRoots, Func<string, string?> readFile)
    {
        ProjectDirectory = PathText.Normalize(projectDirectory);
        RepositoryRoot = ProjectDirectory.Length == 0 ? string.Empty : PathText.Parent(ProjectDirectory);
        var roots = new List<string>();
        if (RepositoryRoot.Length > 0)
        {
            roots.Add(RepositoryRoot);
            var declared = dataRoots?.Where(r => !string.IsNullOrWhiteSpace(r)).ToList();
            foreach (var root in declared is { Count: > 0 } ? declared : new List<string> { DefaultDataRoot })
            {
                // Relative data roots are relative to the repository root.
                roots.Add(PathText.IsRooted(root.Trim()) ? PathText.Normalize(root.Trim()) : PathText.Combine(RepositoryRoot, root.Trim()));
            }
        }

        AllowedRoots = roots.Distinct(StringComparer.Ordinal).ToList();
        ReadFile = readFile;
    }

    /// <summary>Absolute, '/' separators, no trailing '/'; empty when unknown.</summary>
    public string ProjectDirectory { get; }

    /// <summary>The parent of the project folder; paths are emitted relative to it.</summary>
    public string RepositoryRoot { get; }

    /// <summary>Paths must resolve inside one of these (the repository and the declared data roots).</summary>
    public IReadOnlyList<string> AllowedRoots { get; }

    /// <summary>Absolute path -> text, or null when the file is not part of the project.</summary>
    public Func<string, string?> ReadFile { get; }

    /// <summary>A context that knows no project and no other file (paths are not checked; extends finds nothing).</summary>
    public static SpecContext None { get; } = new(string.Empty, null, _ => null);

    /// <summary>Whether a spec at this path is a base (under base/ of the project): extended, never compiled alone.</summary>
    public bool IsBaseFile(string path)
    {
        var relative = SpecCompiler.MakeRelative(ProjectDirectory, path);
        return relative.StartsWith("base/", StringComparison.Ordinal);
    }
}

/// <summary>Lexical path arithmetic with '/' separators (no file-system access; works for Windows paths too).</summary>
internal static class PathText
{
    public static string Normalize(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return string.Empty;
        }

        var p = path.Replace('\\', '/');
        var prefix = string.Empty;
        if (p.Length >= 2 && p[1] == ':')
        {
            prefix = p.Substring(0, 2);
            p = p.Substring(2);
        }

        var rooted = p.StartsWith("/", StringComparison.Ordinal);
        var parts = new List<string>();
        foreach (var part in p.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == ".." && parts.Count > 0 && parts[parts.Count - 1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else if (part == ".." && rooted)
            {
                // Above the file-system root: stays at the root.
            }
            else
            {
                parts.Add(part);
            }
        }

        return prefix + (rooted ? "/" : string.Empty) + string.Join("/", parts);
    }

    public static bool IsRooted(string path) => path.StartsWith("/", StringComparison.Ordinal) || path.StartsWith("\\", StringComparison.Ordinal) || (path.Length >= 2 && path[1] == ':');

    public static string Combine(string directory, string relative)
        => IsRooted(relative) ? Normalize(relative) : Normalize(directory.TrimEnd('/', '\\') + "/" + relative);

    public static string Parent(string path)
    {
        var p = Normalize(path);
        var slash = p.LastIndexOf('/');
        return slash <= 0 ? (slash == 0 ? "/" : string.Empty) : p.Substring(0, slash);
    }

    public static bool IsInside(string path, string root)
    {
        var r = root.TrimEnd('/');
        return string.Equals(path, r, StringComparison.Ordinal) || path.StartsWith(r + "/", StringComparison.Ordinal);
    }

    /// <summary>The relative path from <paramref name="fromDirectory"/> to <paramref name="path"/> ('..' where needed).</summary>
    public static string Relative(string fromDirectory, string path)
    {
        var from = Normalize(fromDirectory).Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        var to = Normalize(path).Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        var common = 0;
        while (common < from.Length && common < to.Length && string.Equals(from[common], to[common], StringComparison.Ordinal))
        {
            common++;
        }

        var parts = Enumerable.Repeat("..", from.Length - common).Concat(to.Skip(common)).ToList();
        return parts.Count == 0 ? "." : string.Join("/", parts);
    }
}
