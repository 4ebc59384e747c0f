namespace DslUnlearn.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot file names of a spec, from its path relative to experiments/ (folders joined with "__"), so
/// experiments/a/x.yaml and experiments/b/x.yaml get a__x.* and b__x.* instead of colliding on the stem x.
/// </summary>
internal static class SnapshotNames
{
    public const string Separator = "__";

    /// <summary>Approved files that belong to no spec by design.</summary>
    public static readonly string[] Shared = { "ExperimentCatalog.g.cs.approved" };

    public static readonly string[] Suffixes = { ".g.cs.approved", ".spec.json.approved" };

    /// <summary>"paper/tofu/tofu-compare-forget01.yaml" -> "paper__tofu__tofu-compare-forget01".</summary>
    public static string Base(string relativePath)
    {
        var rel = relativePath.Replace('\\', '/');
        var dot = rel.LastIndexOf('.');
        if (dot > rel.LastIndexOf('/'))
        {
            rel = rel.Substring(0, dot);
        }

        return rel.Replace("/", Separator);
    }

    public static string GeneratedSource(string relativePath) => Base(relativePath) + ".g.cs.approved";

    public static string ResolvedSpec(string relativePath) => Base(relativePath) + ".spec.json.approved";

    /// <summary>
    /// What is wrong between the specs (paths relative to experiments/) and the approved files (file names): two specs
    /// whose snapshot names collide, and approved files whose spec no longer exists (orphans). Empty when all is well.
    /// </summary>
    public static IReadOnlyList<string> Problems(IEnumerable<string> specs, IEnumerable<string> approvedFiles)
    {
        var problems = new List<string>();
        var byBase = specs.GroupBy(Base, StringComparer.Ordinal).ToList();
        foreach (var clash in byBase.Where(g => g.Count() > 1))
        {
            problems.Add($"specs {string.Join(" and ", clash.OrderBy(s => s, StringComparer.Ordinal))} would share the snapshots {clash.Key}.*; rename one");
        }

        var bases = byBase.Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var file in approvedFiles.Where(f => !Shared.Contains(f)).OrderBy(f => f, StringComparer.Ordinal))
        {
            var suffix = Suffixes.FirstOrDefault(s => file.EndsWith(s, StringComparison.Ordinal));
            if (suffix is null)
            {
                problems.Add($"{file} is not a snapshot name (<spec path with __ for />{string.Join(" or ", Suffixes)})");
            }
            else if (!bases.Contains(file.Substring(0, file.Length - suffix.Length)))
            {
                problems.Add($"{file} is an orphan: no experiments/{file.Substring(0, file.Length - suffix.Length).Replace(Separator, "/")}.yaml; delete it (git rm) or restore the spec");
            }
        }

        return problems;
    }
}
