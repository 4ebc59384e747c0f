using System.Buffers.Binary;
using System.Text;
using DslUnlearn.Checkpoints;
using DslUnlearn.Tests.Models;

namespace DslUnlearn.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A path under the test's folder, not created (saving creates it).</summary>
    private string Folder(string name) => Path.Combine(_dir.Path, name);

    /// <summary>Saves <paramref name="model"/> into <see cref="Folder"/>(<paramref name="name"/>): the folder and its weights
    /// file, for the tests that then damage or rewrite the file.</summary>
    private (string Folder, string Weights) Saved(ICausalLM model, string name)
    {
        string folder = Folder(name);
        Checkpoint.Save(model, folder);
        return (folder, Path.Combine(folder, Checkpoint.WeightsFile));
    }

    public static TheoryData<string, string, bool> Layouts()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var family in TinyModels.All.Keys)
            foreach (var dtype in new[] { "float32", "bfloat16" })
                foreach (bool sharded in new[] { false, true })
                    data.Add(family, dtype, sharded);
        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Save_and_reload_gives_identical_logits(string family, string dtype, bool sharded)
    {
        using var model = TinyModels.Create(family);
        var storage = dtype == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;
        string folder = Folder($"{family}-{dtype}-{sharded}");
        Checkpoint.Save(model, folder, new CheckpointSaveOptions(storage, sharded ? 20_000 : null));

        Assert.Equal(sharded, File.Exists(Path.Combine(folder, Checkpoint.IndexFile)));
        Assert.Equal(!sharded, File.Exists(Path.Combine(folder, Checkpoint.WeightsFile)));
        if (sharded) Assert.True(Directory.GetFiles(folder, "model-*-of-*.safetensors").Length >= 2);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));

        using var reloaded = Checkpoint.Load(folder);
        Assert.Equal(model.Family, reloaded.Family);
        if (storage == ScalarType.BFloat16)
        {
            // bf16 storage rounds every weight once: compare with the original rounded the same way.
            using var _ = torch.no_grad();
            foreach (var p in model.Module.parameters()) p.copy_(p.to(ScalarType.BFloat16).to(float32));
        }
        using var noGrad = torch.no_grad();
        using var ids = TinyModels.RandomIds(2, 9);
        using var expected = model.Logits(ids);
        using var actual = reloaded.Logits(ids);
        Assert.True(TensorAssert.Same(expected, actual), "reloaded logits differ");
    }

    [Fact]
    public void Bf16_checkpoint_can_stay_bf16_when_asked()
    {
        using var model = TinyModels.Create("llama");
        string folder = Folder("bf16");
        Checkpoint.Save(model, folder, new CheckpointSaveOptions(ScalarType.BFloat16));
        var header = Safetensors.ReadHeader(Path.Combine(folder, Checkpoint.WeightsFile));
        Assert.All(header.Entries.Values, e => Assert.Equal("BF16", e.DType));
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(Path.Combine(folder, "config.json")));
        using var fp32 = Checkpoint.Load(folder);
        Assert.All(fp32.Module.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        using var bf16 = Checkpoint.Load(folder, dtype: ScalarType.BFloat16);
        Assert.All(bf16.Module.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
    }

    [Fact]
    public void Fp16_checkpoint_reloads_as_the_fp16_rounded_model()
    {
        using var model = TinyModels.Create("phi");
        string folder = Folder("fp16");
        Checkpoint.Save(model, folder, new CheckpointSaveOptions(ScalarType.Float16, MaxShardBytes: 30_000));
        Assert.All(Checkpoint.WeightFiles(folder), f =>
            Assert.All(Safetensors.ReadHeader(f).Entries.Values, e => Assert.Equal("F16", e.DType)));
        using var reloaded = Checkpoint.Load(folder);
        using var _ = torch.no_grad();
        foreach (var p in model.Module.parameters()) p.copy_(p.to(ScalarType.Float16).to(float32));
        using var ids = TinyModels.RandomIds(2, 7);
        Assert.True(TensorAssert.Same(model.Logits(ids), reloaded.Logits(ids)));
    }

    [Fact]
    public void Safetensors_bytes_follow_the_format_exactly()
    {
        string path = Path.Combine(_dir.Path, "one.safetensors");
        using var t = torch.tensor(new float[] { 1f, -2f }, [1, 2]);
        Safetensors.Save(path, [new("w", t)]);
        byte[] bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' ');
        Assert.Equal("""{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}""", header);
        Assert.Equal(8 + n + 8, bytes.Length);
        Assert.Equal(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(-2f)), bytes[(int)(8 + n)..]);
    }

    [Fact]
    public void A_hand_written_safetensors_file_is_read()
    {
        // Header and data written byte by byte: an I64 [3] tensor and an F16 [2] tensor (1.0 = 0x3C00, -0.5 = 0xB800).
        string json = """{"a":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},"h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]}}""";
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ulong)json.Length));
        bytes.AddRange(Encoding.UTF8.GetBytes(json));
        foreach (long v in new long[] { 7, -1, 1L << 40 }) bytes.AddRange(BitConverter.GetBytes(v));
        bytes.AddRange([0x00, 0x3C, 0x00, 0xB8]);
        string path = Path.Combine(_dir.Path, "hand.safetensors");
        File.WriteAllBytes(path, bytes.ToArray());
        var tensors = Safetensors.Load(path);
        Assert.Equal([7L, -1L, 1L << 40], tensors["a"].data<long>().ToArray());
        Assert.Equal([1.0f, -0.5f], tensors["h"].to(float32).data<float>().ToArray());
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void Large_tensors_are_copied_in_chunks_without_loss()
    {
        using var t = torch.arange(1000, dtype: float32);
        var collected = new List<byte>();
        Safetensors.CopyBytes(t, span => collected.AddRange(span.ToArray()), chunkBytes: 96);
        var floats = new float[1000];
        Buffer.BlockCopy(collected.ToArray(), 0, floats, 0, 4000);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (float)i), floats);
    }

    [Fact]
    public void Missing_unexpected_and_mis_shaped_keys_are_all_listed()
    {
        using var model = TinyModels.Create("llama");
        var (folder, file) = Saved(model, "strict");
        var tensors = Safetensors.Load(file);
        tensors.Remove("model.norm.weight");
        tensors["model.layers.0.extra.weight"] = torch.zeros(3);
        tensors["lm_head.weight"] = torch.zeros(41, 32);
        Safetensors.Save(file, tensors);
        var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(folder));
        Assert.Contains("missing keys (the model needs them, the checkpoint lacks them) (1):", e.Message);
        Assert.Contains("model.norm.weight [32]", e.Message);
        Assert.Contains("unexpected keys (in the checkpoint, not in the model) (1):", e.Message);
        Assert.Contains("model.layers.0.extra.weight [3]", e.Message);
        Assert.Contains("lm_head.weight: checkpoint [41, 32] vs model [40, 32]", e.Message);
        Assert.Equal(["model.norm.weight [32]"], e.Missing);
    }

    [Fact]
    public void Config_that_does_not_match_the_weights_is_a_mismatch()
    {
        using var model = TinyModels.Create("phi");
        string folder = Folder("wrong-config");
        Checkpoint.Save(model, folder);
        string config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"intermediate_size\": 64", "\"intermediate_size\": 72"));
        var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(folder));
        Assert.Contains("model.layers.0.mlp.fc1.weight: checkpoint [64, 32] vs model [72, 32]", e.Message);
        Assert.Contains("check that config.json belongs to these weights", e.Message);
    }

    [Fact]
    public void Truncated_file_names_the_file_tensor_and_offset()
    {
        using var model = TinyModels.Create("gpt2");
        var (folder, file) = Saved(model, "truncated");
        long length = new FileInfo(file).Length;
        using (var s = new FileStream(file, FileMode.Open)) s.SetLength(length - 10);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(folder));
        Assert.Contains(file, e.Message);
        Assert.Contains("truncated: tensor '", e.Message);
        Assert.Contains($"needs bytes up to offset {length}, but the file ends at byte {length - 10}", e.Message);
        Assert.Equal(length, e.Offset);

        File.WriteAllBytes(file, [1, 2, 3]);
        var tiny = Assert.Throws<CheckpointFormatException>(() => Safetensors.ReadHeader(file));
        Assert.Contains("(byte offset 0): truncated", tiny.Message);

        var shortHeader = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(shortHeader, 1000);
        File.WriteAllBytes(file, shortHeader);
        var cut = Assert.Throws<CheckpointFormatException>(() => Safetensors.ReadHeader(file));
        Assert.Contains("(byte offset 8): truncated: the header needs 1000 bytes after offset 8, but the file ends at byte 16", cut.Message);
    }

    [Fact]
    public void Corrupt_header_names_the_file_and_offset()
    {
        using var model = TinyModels.Create("llama");
        var (folder, file) = Saved(model, "corrupt");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[8 + 15] = (byte)'}';   // the ':' after "__metadata__": breaks the JSON header at byte 23
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(folder));
        Assert.Contains(file, e.Message);
        Assert.Contains("corrupt header: invalid JSON", e.Message);
        Assert.InRange(e.Offset!.Value, 8, 8 + 40);

        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 2);
        File.WriteAllBytes(file, bytes);
        var huge = Assert.Throws<CheckpointFormatException>(() => Safetensors.ReadHeader(file));
        Assert.Contains("(byte offset 0): corrupt or not a safetensors file", huge.Message);

        string json = """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}""";
        var bad = BitConverter.GetBytes((ulong)json.Length).Concat(Encoding.UTF8.GetBytes(json)).Concat(new byte[8]).ToArray();
        File.WriteAllBytes(file, bad);
        var size = Assert.Throws<CheckpointFormatException>(() => Safetensors.ReadHeader(file));
        Assert.Contains("tensor 'w' has 8 bytes of data but shape [4] x F32 needs 16", size.Message);
    }

    [Fact]
    public void Pickle_checkpoints_are_refused_with_the_conversion_hint()
    {
        string folder = Folder("pickle");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyModels.Llama.ToJson().ToJsonString());
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), [0x80, 0x02, 0x7D, 0x71]);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(folder));
        Assert.Contains("pytorch_model.bin", e.Message);
        Assert.Contains("pickle", e.Message);
        Assert.Contains("save_pretrained(dst, safe_serialization=True)", e.Message);

        // Content sniffing: a pickle (or torch zip) renamed to .safetensors is refused too.
        string disguised = Path.Combine(folder, "x.safetensors");
        File.WriteAllBytes(disguised, [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0, 0]);
        var zip = Assert.Throws<CheckpointFormatException>(() => Safetensors.ReadHeader(disguised));
        Assert.Contains("PyTorch pickle checkpoint", zip.Message);

        // A genuine safetensors header of 640 bytes starts with 0x80 0x02, like a pickle: it must still load.
        string real = Path.Combine(folder, "real.safetensors");
        string json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        var header = Encoding.UTF8.GetBytes(json.PadRight(640));
        File.WriteAllBytes(real, BitConverter.GetBytes(640UL).Concat(header).Concat(new byte[] { 42 }).ToArray());
        Assert.Equal([0x80, 0x02], File.ReadAllBytes(real)[..2]);
        Assert.Equal((byte)42, Safetensors.Load(real)["w"].data<byte>()[0]);
    }

    [Fact]
    public void Checkpoints_of_the_bare_decoder_and_old_buffers_load()
    {
        // Hugging Face's original gpt2 weights have no "transformer." prefix and carry attn.bias buffers.
        using var model = TinyModels.Create("gpt2");
        var (folder, file) = Saved(model, "bare");
        var tensors = Safetensors.Load(file).ToDictionary(kv => kv.Key["transformer.".Length..], kv => kv.Value);
        tensors["h.0.attn.bias"] = torch.ones(1, 1, 64, 64);
        Safetensors.Save(file, tensors);
        using var reloaded = Checkpoint.Load(folder);
        using var _ = torch.no_grad();
        using var ids = TinyModels.RandomIds(1, 6);
        Assert.True(TensorAssert.Same(model.Logits(ids), reloaded.Logits(ids)));
    }

    [Fact]
    public void A_stored_tied_head_must_equal_the_embedding()
    {
        using var model = TinyModels.Create("gpt2");
        var (folder, file) = Saved(model, "tied");
        var tensors = Safetensors.Load(file);
        Assert.DoesNotContain("lm_head.weight", tensors.Keys);
        tensors["lm_head.weight"] = tensors["transformer.wte.weight"].clone();
        Safetensors.Save(file, tensors);
        using (Checkpoint.Load(folder)) { }
        tensors["lm_head.weight"] = tensors["lm_head.weight"] + 1;
        Safetensors.Save(file, tensors);
        var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(folder));
        Assert.Contains("lm_head.weight differs from transformer.wte.weight, but config.json says tie_word_embeddings = true", e.Message);
    }

    [Fact]
    public void Index_pointing_to_the_wrong_shard_is_an_error()
    {
        using var model = TinyModels.Create("llama");
        string folder = Folder("index");
        Checkpoint.Save(model, folder, new CheckpointSaveOptions(MaxShardBytes: 20_000));
        string index = Path.Combine(folder, Checkpoint.IndexFile);
        string text = File.ReadAllText(index);
        string first = Directory.GetFiles(folder, "model-00001-*.safetensors").Select(Path.GetFileName).Single()!;
        string second = Directory.GetFiles(folder, "model-00002-*.safetensors").Select(Path.GetFileName).Single()!;
        File.WriteAllText(index, text.Replace($"\"model.embed_tokens.weight\": \"{first}\"", $"\"model.embed_tokens.weight\": \"{second}\""));
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(folder));
        Assert.Contains($"the index places 'model.embed_tokens.weight' in {second}, but that shard does not hold it", e.Message);
    }

    [Fact]
    public void Missing_folder_files_give_clear_errors()
    {
        var noDir = Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.Load(Folder("nope")));
        Assert.Contains("does not exist", noDir.Message);
        string folder = Folder("config-only");
        Directory.CreateDirectory(folder);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(folder));
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyModels.Llama.ToJson().ToJsonString());
        var noWeights = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(folder));
        Assert.Contains("has neither model.safetensors nor model.safetensors.index.json", noWeights.Message);
    }
}
