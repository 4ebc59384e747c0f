namespace DslUnlearn.Checkpoints;

/// <summary>A checkpoint file that cannot be read: truncated, corrupt, or in a refused format. Names the file and, when known, the byte offset.</summary>
public sealed class CheckpointFormatException(string path, long? offset, string problem)
    : IOException($"{path}{(offset is long o ? $" (byte offset {o})" : "")}: {problem}")
{
    public string Path { get; } = path;
    public long? Offset { get; } = offset;
}

/// <summary>A checkpoint whose tensors do not match the model: lists every missing, unexpected and mis-shaped key.</summary>
public sealed class CheckpointMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    : IOException(Format(source, missing, unexpected, mismatched))
{
    public IReadOnlyList<string> Missing { get; } = missing;
    public IReadOnlyList<string> Unexpected { get; } = unexpected;
    public IReadOnlyList<string> Mismatched { get; } = mismatched;

    private static string Format(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var lines = new List<string> { $"{source}: the checkpoint does not match the model (loading is strict; check that config.json belongs to these weights)." };
        void Section(string title, IReadOnlyList<string> items)
        {
            if (items.Count == 0) return;
            lines.Add($"  {title} ({items.Count}):");
            lines.AddRange(items.Take(25).Select(i => "    " + i));
            if (items.Count > 25) lines.Add($"    ... and {items.Count - 25} more");
        }
        Section("missing keys (the model needs them, the checkpoint lacks them)", missing);
        Section("unexpected keys (in the checkpoint, not in the model)", unexpected);
        Section("shape or dtype mismatches", mismatched);
        return string.Join(Environment.NewLine, lines);
    }
}
