namespace DslUnlearn.Generators.Tests.Infrastructure;

internal static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DslUnlearn.sln not found above {AppContext.BaseDirectory}");
    });

    /// <summary>The folder holding DslUnlearn.sln.</summary>
    public static string Root => LazyRoot.Value;

    public static string Experiments => Path.Combine(Root, "experiments");

    public static string Snapshots => Path.Combine(Root, "tests", "DslUnlearn.Generators.Tests", "Snapshots");

    /// <summary>The experiments: every YAML file of the project except the bases under base/.</summary>
    public static IReadOnlyList<string> ExperimentSpecs()
        => AllYaml().Where(p => !Path.GetRelativePath(Experiments, p).Replace('\\', '/').StartsWith("base/", StringComparison.Ordinal)).ToList();

    /// <summary>Every YAML file of the experiments project (as its &lt;AdditionalFiles Include="**/*.yaml" Exclude="bin/**;obj/**"/&gt; sees them).</summary>
    public static IReadOnlyList<string> AllYaml()
        => Directory.EnumerateFiles(Experiments, "*.yaml", SearchOption.AllDirectories)
            .Where(p =>
            {
                var rel = Path.GetRelativePath(Experiments, p).Replace('\\', '/');
                return !rel.StartsWith("bin/", StringComparison.Ordinal) && !rel.StartsWith("obj/", StringComparison.Ordinal);
            })
            .OrderBy(p => p, StringComparer.Ordinal)
            .ToList();
}
