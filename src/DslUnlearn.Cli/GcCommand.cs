namespace DslUnlearn.Cli;

/// <summary>`dslunlearn gc`: deletes stored artifacts that no experiment's manifest references.</summary>
internal static class GcCommand
{
    public static Command Build()
    {
        var outRoot = new Option<string?>("--out") { Description = "Output root whose _store to clean (default: ./artifacts)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed; remove nothing." };
        var gc = new Command("gc", "Remove artifacts (and leftover checkpoints) that no <out>/<experiment>/manifest.json references.")
        {
            outRoot, dryRun,
        };
        gc.SetAction(parse => Run(parse.GetValue(outRoot) ?? "artifacts", parse.GetValue(dryRun)));
        return gc;
    }

    private static int Run(string root, bool dryRun)
    {
        try
        {
            var r = GarbageCollector.Collect(root, dryRun);
            Console.WriteLine($"{(dryRun ? "Would remove" : "Removed")} {r.RemovedKeys.Count} artifact(s), {r.RemovedBytes / 1024.0 / 1024.0:F1} MiB; " +
                              $"kept {r.ReferencedKeys} referenced by {r.Manifests} manifest(s) in {root}.");
            foreach (var key in r.RemovedKeys) Console.WriteLine($"  {key}");
            if (r.SkippedLocked.Count > 0) Console.WriteLine($"Skipped {r.SkippedLocked.Count} artifact(s) that a running build holds.");
            return Commands.Ok;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Commands.Failed;
        }
    }
}
