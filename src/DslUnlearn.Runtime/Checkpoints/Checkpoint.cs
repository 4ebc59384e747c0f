using DslUnlearn.IO;
using DslUnlearn.Models;

namespace DslUnlearn.Checkpoints;

/// <summary>How to write a checkpoint.</summary>
/// <param name="DType">Storage dtype of floating-point weights (Float32, BFloat16 or Float16).</param>
/// <param name="MaxShardBytes">Split into model-0000i-of-0000n.safetensors + model.safetensors.index.json when
/// the weights exceed this many bytes; null writes one model.safetensors.</param>
public sealed record CheckpointSaveOptions(ScalarType DType = ScalarType.Float32, long? MaxShardBytes = null);

/// <summary>
/// Hugging Face checkpoint folders: config.json + model.safetensors, or shards listed in
/// model.safetensors.index.json. Loading is strict: every model parameter must be present with its exact
/// shape and nothing else may be there, except (1) keys saved from the bare decoder without the family's
/// prefix ("model." / "transformer."), which get the prefix as in Hugging Face; (2) a tied lm_head.weight,
/// accepted only when it equals the embedding matrix; (3) the family's known weightless buffers (GPT-2's
/// attn.bias/attn.masked_bias, Llama's rotary_emb.inv_freq).
/// </summary>
public static class Checkpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Reads and validates config.json of a checkpoint folder.</summary>
    public static ICausalLMConfig ReadConfig(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"checkpoint folder '{folder}' does not exist.");
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{folder}' has no {ConfigFile}; a Hugging Face checkpoint folder needs config.json next to the weights.", path);
        return CausalLMFactory.ParseConfig(File.ReadAllText(path), path);
    }

    /// <summary>The safetensors files of a folder (one, or the shards named by the index), refusing pickle-only folders.</summary>
    public static IReadOnlyList<string> WeightFiles(string folder)
    {
        string index = Path.Combine(folder, IndexFile), single = Path.Combine(folder, WeightsFile);
        if (File.Exists(index))
        {
            var map = ReadIndex(index);
            return map.Values.Distinct().Select(f => Path.Combine(folder, f)).ToList();
        }
        if (File.Exists(single)) return [single];
        var pickles = Directory.EnumerateFiles(folder)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".bin" or ".pt" or ".pth" or ".ckpt")
            .Select(Path.GetFileName).ToList();
        if (pickles.Count > 0)
            throw new CheckpointFormatException(Path.Combine(folder, pickles[0]!), null,
                $"'{folder}' holds only pickle weights ({string.Join(", ", pickles)}): " + Safetensors.PickleMessage);
        throw new FileNotFoundException($"'{folder}' has neither {WeightsFile} nor {IndexFile}.", single);
    }

    /// <summary>weight_map of an index file: tensor name -> shard file name.</summary>
    public static IReadOnlyDictionary<string, string> ReadIndex(string indexPath)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(indexPath)); }
        catch (JsonException e) { throw new CheckpointFormatException(indexPath, e.BytePositionInLine, $"corrupt index: invalid JSON ({e.Message})."); }
        if (root?["weight_map"] is not JsonObject map)
            throw new CheckpointFormatException(indexPath, null, "corrupt index: no \"weight_map\" object.");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            string? file = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
            if (file is null || file.Contains('/') || file.Contains('\\') || file.Contains(".."))
                throw new CheckpointFormatException(indexPath, null, $"corrupt index: weight_map[\"{key}\"] must be a file name in the same folder.");
            result[key] = file;
        }
        return result;
    }

    /// <summary>
    /// Loads a Hugging Face checkpoint folder: config.json + model.safetensors (or sharded with
    /// model.safetensors.index.json). Weights are converted to <paramref name="dtype"/> (float32 unless asked).
    /// Loading is strict; see <see cref="LoadWeights"/>.
    /// </summary>
    public static ICausalLM Load(string folder, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var config = ReadConfig(folder);
        var model = CausalLMFactory.Create(config, device);
        try
        {
            if (dtype != ScalarType.Float32) model.Module.to(dtype);
            Checkpoint.LoadWeights(model, folder);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads the folder's (or single file's) weights into <paramref name="model"/>, strictly (see the class
    /// summary), converting each tensor to the parameter's dtype and device.
    /// </summary>
    public static void LoadWeights(ICausalLM model, string folderOrFile)
    {
        bool isFile = File.Exists(folderOrFile);
        var files = isFile ? [folderOrFile] : WeightFiles(folderOrFile);
        var headers = files.Select(Safetensors.ReadHeader).ToList();

        // Where each checkpoint key lives; a key in two files is an error.
        var located = new Dictionary<string, (SafetensorsHeader Header, SafetensorsEntry Entry)>(StringComparer.Ordinal);
        foreach (var h in headers)
            foreach (var e in h.Entries.Values)
                if (!located.TryAdd(e.Name, (h, e)))
                    throw new CheckpointFormatException(h.Path, null, $"tensor '{e.Name}' is also stored in {located[e.Name].Header.Path}.");
        if (!isFile && File.Exists(Path.Combine(folderOrFile, IndexFile)))
        {
            string indexPath = Path.Combine(folderOrFile, IndexFile);
            foreach (var (key, file) in ReadIndex(indexPath))
                if (!located.TryGetValue(key, out var at) || Path.GetFileName(at.Header.Path) != file)
                    throw new CheckpointFormatException(indexPath, null, $"the index places '{key}' in {file}, but that shard does not hold it.");
        }

        var expected = model.Module.state_dict();
        var based = model as CausalLMBase;
        string source = folderOrFile;

        // Checkpoints saved from the bare decoder (GPT2Model, LlamaModel) lack the prefix: add it, as Hugging Face does.
        Func<string, string> rename = k => k;
        if (based is not null && !located.Keys.Any(k => k.StartsWith(based.BasePrefix, StringComparison.Ordinal))
            && expected.Keys.Any(k => k.StartsWith(based.BasePrefix, StringComparison.Ordinal)))
            rename = k => k.StartsWith("lm_head.", StringComparison.Ordinal) ? k : based.BasePrefix + k;

        var byModelKey = located.ToDictionary(kv => rename(kv.Key), kv => kv.Value, StringComparer.Ordinal);
        string? tiedHead = based is not null && based.ArchitectureConfig.TieWordEmbeddings ? "lm_head.weight" : null;

        var missing = expected.Keys.Where(k => !byModelKey.ContainsKey(k)).ToList();
        var unexpected = byModelKey.Keys
            .Where(k => !expected.ContainsKey(k) && k != tiedHead && !(based?.IsIgnorableCheckpointKey(k) ?? false))
            .Select(k => k + " " + Shape(byModelKey[k].Entry.Shape)).ToList();
        var mismatched = new List<string>();
        foreach (var (key, param) in expected)
        {
            if (!byModelKey.TryGetValue(key, out var at)) continue;
            if (!at.Entry.Shape.SequenceEqual(param.shape))
                mismatched.Add($"{key}: checkpoint {Shape(at.Entry.Shape)} vs model {Shape(param.shape)}");
            else if (param.is_floating_point() != (at.Entry.DType is "F64" or "F32" or "F16" or "BF16"))
                mismatched.Add($"{key}: checkpoint dtype {at.Entry.DType} vs model {param.dtype}");
        }
        if (tiedHead is not null && byModelKey.TryGetValue(tiedHead, out var head) && !head.Entry.Shape.SequenceEqual(expected[based!.EmbeddingKey].shape))
            mismatched.Add($"{tiedHead}: checkpoint {Shape(head.Entry.Shape)} vs tied embedding {Shape(expected[based.EmbeddingKey].shape)}");
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new CheckpointMismatchException(source, missing.Select(k => k + " " + Shape(expected[k].shape)).ToList(), unexpected, mismatched);

        var streams = new Dictionary<string, FileStream>();
        try
        {
            FileStream StreamOf(SafetensorsHeader h) =>
                streams.TryGetValue(h.Path, out var s) ? s : streams[h.Path] = File.OpenRead(h.Path);
            using var noGrad = torch.no_grad();
            foreach (var (key, param) in expected)
            {
                using var scope = torch.NewDisposeScope();
                var (h, e) = byModelKey[key];
                var stored = Safetensors.ReadTensor(StreamOf(h), h, e);
                param.copy_(stored.to(param.dtype).to(param.device));
            }
            if (tiedHead is not null && byModelKey.TryGetValue(tiedHead, out var tied))
            {
                using var scope = torch.NewDisposeScope();
                var stored = Safetensors.ReadTensor(StreamOf(tied.Header), tied.Header, tied.Entry).to(float32);
                var embedding = expected[based!.EmbeddingKey].to(float32).cpu();
                if (!stored.shape.SequenceEqual(embedding.shape) || !stored.eq(embedding).all().item<bool>())
                    throw new CheckpointMismatchException(source, [], [],
                        [$"{tiedHead} differs from {based.EmbeddingKey}, but config.json says tie_word_embeddings = true; set it to false to load an untied head."]);
            }
        }
        finally
        {
            foreach (var s in streams.Values) s.Dispose();
        }
    }

    /// <summary>
    /// Writes config.json and the weights (single file or shards + index) into <paramref name="folder"/>.
    /// Each file is written to a temporary name and renamed, so readers never see a partial file. A tied
    /// head is not stored (Hugging Face's convention); the config says tie_word_embeddings.
    /// </summary>
    public static void Save(ICausalLM model, string folder, CheckpointSaveOptions? options = null)
    {
        options ??= new CheckpointSaveOptions();
        if (options.DType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"checkpoints are stored as float32, bfloat16 or float16, not {options.DType}.", nameof(options));
        if (model is not CausalLMBase based)
            throw new ArgumentException($"saving needs one of the built-in families (llama, gpt2, phi), got {model.GetType().Name}.", nameof(model));
        Directory.CreateDirectory(folder);

        var config = based.ArchitectureConfig.ToJson();
        config["torch_dtype"] = options.DType switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" };
        AtomicFile.WriteText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var tensors = model.Module.state_dict().ToList();
        int elementSize = options.DType == ScalarType.Float32 ? 4 : 2;
        long Bytes(Tensor t) => t.numel() * (t.is_floating_point() ? elementSize : t.element_size());

        // Remove what an earlier save with the other layout left behind, so the folder is unambiguous.
        string index = Path.Combine(folder, IndexFile), single = Path.Combine(folder, WeightsFile);
        if (options.MaxShardBytes is not long limit || tensors.Sum(kv => Bytes(kv.Value)) <= limit)
        {
            Safetensors.Save(single, tensors, options.DType);
            if (File.Exists(index)) File.Delete(index);
            return;
        }
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long current = 0;
        foreach (var kv in tensors)
        {
            long size = Bytes(kv.Value);
            if (shards[^1].Count > 0 && current + size > limit) { shards.Add([]); current = 0; }
            shards[^1].Add(kv);
            current += size;
        }
        var weightMap = new JsonObject();
        for (int i = 0; i < shards.Count; i++)
        {
            string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            Safetensors.Save(Path.Combine(folder, name), shards[i], options.DType);
            foreach (var kv in shards[i]) weightMap[kv.Key] = name;
        }
        var indexJson = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = tensors.Sum(kv => Bytes(kv.Value)) },
            ["weight_map"] = weightMap,
        };
        AtomicFile.WriteText(index, indexJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (File.Exists(single)) File.Delete(single);
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
