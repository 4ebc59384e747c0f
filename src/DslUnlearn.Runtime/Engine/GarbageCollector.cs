namespace DslUnlearn.Engine;

/// <summary>`dslunlearn gc`: keys referenced by any manifest under an output root stay; everything else goes.</summary>
public static class GarbageCollector
{
    public static GcResult Collect(string outputRoot, bool dryRun = false)
    {
        var manifests = RunManifest.LoadAll(outputRoot);
        var unreadable = manifests.Where(m => m.Manifest is null).Select(m => m.Path).ToList();
        if (unreadable.Count > 0) // never guess: an unreadable manifest might reference anything
            throw new InvalidOperationException($"Cannot read {string.Join(", ", unreadable)}; fix or delete it (then re-run that experiment) before gc.");
        var referenced = manifests.SelectMany(m => m.Manifest!.Stages.Select(s => s.Key)).ToHashSet(StringComparer.Ordinal);
        return ArtifactStore.ForOutputRoot(outputRoot).Collect(referenced, dryRun) with { ReferencedKeys = referenced.Count, Manifests = manifests.Count };
    }
}
