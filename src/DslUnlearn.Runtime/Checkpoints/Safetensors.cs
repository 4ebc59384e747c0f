using System.Buffers.Binary;
using DslUnlearn.IO;

namespace DslUnlearn.Checkpoints;

/// <summary>One tensor's entry in a safetensors header: offsets are relative to the data section.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long NumElements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>A parsed, validated safetensors header.</summary>
public sealed record SafetensorsHeader(string Path, long DataStart, IReadOnlyDictionary<string, SafetensorsEntry> Entries,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The safetensors format, written and read here (about 200 lines) rather than through TorchSharp.PyBridge,
/// because we need exact error messages with file and byte offset, refusal of pickle files, streaming
/// reads straight into tensor memory, and dtype conversion on load and save. Layout: 8-byte
/// little-endian header length N, N bytes of JSON header ({name: {dtype, shape, data_offsets}},
/// optional "__metadata__" of strings), then the raw little-endian tensor data.
/// </summary>
public static class Safetensors
{
    /// <summary>Header size limit (the reference implementation uses 100 MB too); a larger value means a corrupt file.</summary>
    public const long MaxHeaderBytes = 100_000_000;
    private const int ChunkBytes = 1 << 28;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static string DTypeName(ScalarType type) =>
        DTypes.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new NotSupportedException($"dtype {type} cannot be stored in safetensors here; supported: {string.Join(", ", DTypes.Keys)}.");

    public static ScalarType ScalarTypeOf(string dtype) => DTypes[dtype].Type;

    /// <summary>
    /// Refuses pickle-based PyTorch files (by extension or by content) with the way to convert them. A real
    /// safetensors file is recognised first by the '{' that opens its JSON header at byte 8: its header
    /// length may well start with the bytes of a pickle magic (0x80 0x02 is a length of 640 + ...).
    /// </summary>
    public static void RefusePickle(string path, ReadOnlySpan<byte> head)
    {
        if (head.Length >= 9 && head[8] == (byte)'{') return;
        string ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        bool pickleExt = ext is ".bin" or ".pt" or ".pth" or ".ckpt" or ".pkl";
        bool pickleMagic = head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5;
        bool zipMagic = head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
        if (pickleExt || pickleMagic || zipMagic)
            throw new CheckpointFormatException(path, null, PickleMessage);
    }

    internal const string PickleMessage =
        "this is a PyTorch pickle checkpoint (.bin/.pt/.pth), which DslUnlearn refuses to load because unpickling can run arbitrary code. " +
        "Convert it to safetensors once, e.g. in Python: AutoModelForCausalLM.from_pretrained(src).save_pretrained(dst, safe_serialization=True), " +
        "then point the spec at the folder holding config.json and model.safetensors.";

    /// <summary>Reads and validates the header; every error names the file and the byte offset.</summary>
    public static SafetensorsHeader ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new CheckpointFormatException(path, null, "file not found.");
        using var stream = File.OpenRead(path);
        return ReadHeader(path, stream);
    }

    private static SafetensorsHeader ReadHeader(string path, FileStream stream)
    {
        long length = stream.Length;
        Span<byte> prefix = stackalloc byte[9];
        int got = stream.ReadAtLeast(prefix, 9, throwOnEndOfStream: false);
        RefusePickle(path, prefix[..got]);
        stream.Seek(8, SeekOrigin.Begin);
        if (got < 8)
            throw new CheckpointFormatException(path, 0, $"truncated: a safetensors file starts with an 8-byte header length, but the file has only {length} bytes.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
            throw new CheckpointFormatException(path, 0, $"corrupt or not a safetensors file: the header length field says {n} bytes (limit {MaxHeaderBytes}).");
        if (8 + (long)n > length)
            throw new CheckpointFormatException(path, 8, $"truncated: the header needs {n} bytes after offset 8, but the file ends at byte {length}.");
        var json = new byte[n];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)n;
        long dataLength = length - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e)
        {
            long at = 8 + LineOffset(json, e.LineNumber ?? 0) + (e.BytePositionInLine ?? 0);
            throw new CheckpointFormatException(path, at, $"corrupt header: invalid JSON ({e.Message.Split(" LineNumber")[0]}).");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, 8, "corrupt header: the JSON header must be an object.");
            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in p.Value.EnumerateObject())
                            if (m.Value.ValueKind == JsonValueKind.String) metadata[m.Name] = m.Value.GetString()!;
                    continue;
                }
                entries[p.Name] = ParseEntry(path, p.Name, p.Value, dataStart, dataLength);
            }
            // Tensors must not overlap.
            SafetensorsEntry? previous = null;
            foreach (var e in entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (previous is not null && e.Begin < previous.End)
                    throw new CheckpointFormatException(path, dataStart + e.Begin, $"corrupt header: tensor '{e.Name}' overlaps tensor '{previous.Name}'.");
                previous = e;
            }
            return new SafetensorsHeader(path, dataStart, entries, metadata);
        }
    }

    private static long LineOffset(byte[] json, long line)
    {
        long offset = 0;
        for (int i = 0; i < json.Length && line > 0; i++)
            if (json[i] == (byte)'\n') { line--; offset = i + 1; }
        return offset;
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JsonElement e, long dataStart, long dataLength)
    {
        CheckpointFormatException Bad(string what) => new(path, 8, $"corrupt header: tensor '{name}' {what}.");
        if (e.ValueKind != JsonValueKind.Object) throw Bad("is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Bad("has no dtype");
        string dtype = dt.GetString()!;
        if (!DTypes.TryGetValue(dtype, out var info))
            throw Bad($"has dtype {dtype}, which is not supported (supported: {string.Join(", ", DTypes.Keys)})");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Bad("has no shape");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0) throw Bad($"has an invalid shape {sh.GetRawText()}");
            shape.Add(v);
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad("has invalid data_offsets (need [begin, end] with 0 <= begin <= end)");
        var entry = new SafetensorsEntry(name, dtype, shape.ToArray(), begin, end);
        long expected = entry.NumElements * info.Size;
        if (end - begin != expected)
            throw Bad($"has {end - begin} bytes of data but shape [{string.Join(", ", shape)}] x {dtype} needs {expected}");
        if (end > dataLength)
            throw new CheckpointFormatException(path, dataStart + end,
                $"truncated: tensor '{name}' needs bytes up to offset {dataStart + end}, but the file ends at byte {dataStart + dataLength}.");
        return entry;
    }

    /// <summary>Reads every tensor of a file (CPU, stored dtype). For large files prefer <see cref="ReadTensor"/> per entry.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        var header = ReadHeader(path);
        using var stream = File.OpenRead(path);
        return header.Entries.Values.ToDictionary(e => e.Name, e => ReadTensor(stream, header, e));
    }

    /// <summary>Reads one tensor, on the CPU in its stored dtype, straight into tensor memory.</summary>
    public static Tensor ReadTensor(FileStream stream, SafetensorsHeader header, SafetensorsEntry entry)
    {
        var tensor = torch.empty(entry.Shape, DTypes[entry.DType].Type);
        try
        {
            stream.Seek(header.DataStart + entry.Begin, SeekOrigin.Begin);
            CopyBytes(tensor, span =>
            {
                long at = stream.Position;
                int read = stream.ReadAtLeast(span, span.Length, throwOnEndOfStream: false);
                if (read < span.Length)
                    throw new CheckpointFormatException(header.Path, at + read, $"truncated while reading tensor '{entry.Name}'.");
            });
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported.");
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Applies <paramref name="action"/> to the raw bytes of a contiguous CPU tensor, in chunks small enough for a span.</summary>
    internal static void CopyBytes(Tensor tensor, SpanAction action, int chunkBytes = ChunkBytes)
    {
        long total = tensor.numel() * tensor.element_size();
        if (total == 0) return;
        if (total <= chunkBytes) { action(tensor.bytes); return; }
        using var flat = tensor.view(-1);
        long perChunk = Math.Max(1, chunkBytes / tensor.element_size());
        for (long start = 0; start < flat.shape[0]; start += perChunk)
        {
            using var part = flat.narrow(0, start, Math.Min(perChunk, flat.shape[0] - start));
            action(part.bytes);
        }
    }

    internal delegate void SpanAction(Span<byte> span);

    /// <summary>
    /// Writes tensors (converted to <paramref name="dtype"/> when given) as one safetensors file, through a
    /// temporary file renamed into place, so a crash never leaves a half-written checkpoint under the final name.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType? dtype = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = torch.NewDisposeScope();
        var prepared = new List<(string Name, Tensor Data)>();
        foreach (var (name, t) in tensors)
        {
            var data = t.detach();
            if (dtype is ScalarType target && data.is_floating_point()) data = data.to(target);
            prepared.Add((name, data.cpu().contiguous()));
        }
        var header = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["__metadata__"] = metadata ?? new Dictionary<string, string> { ["format"] = "pt" },
        };
        long offset = 0;
        foreach (var (name, data) in prepared)
        {
            long size = data.numel() * data.element_size();
            header[name] = new { dtype = DTypeName(data.dtype), shape = data.shape, data_offsets = new[] { offset, offset + size } };
            offset += size;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;   // align the data section to 8 bytes, as the reference writer does
        var headerBytes = new byte[padded];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < padded; i++) headerBytes[i] = (byte)' ';

        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            stream.Write(len);
            stream.Write(headerBytes);
            foreach (var (_, data) in prepared) CopyBytes(data, span => stream.Write(span));
        });
    }
}
