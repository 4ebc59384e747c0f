using static DslUnlearn.Generators.Tests.ValidateCommandTests;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// `dslunlearn validate` reads the checkpoint folder model.checkpoint names, which the build cannot (DSLU0029 at the YAML
/// value). The config.json files are written here by hand, from Hugging Face's key names; the expected messages are the
/// runtime's rules worked out by arithmetic (the valid head counts are the divisors of hidden_size with an even quotient).
/// Beside them each checkpoint gets the smallest tokenizer.json and model.safetensors the runtime's readers accept, written
/// byte by byte here from the formats (<see cref="Repo.Safetensors"/>), with the offsets of the broken ones worked out by hand.
/// </summary>
public sealed class ValidateCheckpointTests
{
    private const string Llama = """{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 64, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128, "hidden_act": "silu"}""";
    private const string Gpt2 = """{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50, "n_positions": 64, "n_embd": 48, "n_layer": 3, "n_head": 6}""";
    private const string Phi = """{"architectures": ["PhiForCausalLM"], "model_type": "phi", "vocab_size": 80, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128, "max_position_embeddings": 256, "partial_rotary_factor": 0.5}""";
    private const string Fix = "; fix config.json, or point model.checkpoint at another checkpoint folder";
    private const string TokenizerFix = "; add or fix the tokenizer files the checkpoint was saved with, or point model.checkpoint at another checkpoint folder";
    private const string WeightsFix = "; add or fix the weight files the checkpoint was saved with, or point model.checkpoint at another checkpoint folder";

    /// <summary>A BPE tokenizer.json: three tokens, no merges, "&lt;/s&gt;" (id 2) the end of sequence by convention.</summary>
    private const string Tokenizer = """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "</s>": 2}, "merges": []}}""";

    [Fact]
    public void Valid_llama_gpt2_and_phi_checkpoints_pass_and_are_named_by_family()
    {
        using var repo = new Repo();
        foreach (var (name, config) in new[] { ("llama", Llama), ("gpt2", Gpt2), ("phi", Phi) })
        {
            repo.Checkpoint(name, config);
            repo.Spec(name, $"experiment: {name}\nmodel:\n  checkpoint: ../models/{name}\n");
        }

        var (code, output, error) = CliWithErrors("validate", repo.Project);
        Assert.Equal(string.Empty, output);
        Assert.Equal(0, code);
        const string Files = "; tokenizer tokenizer.json (3 ids, end of sequence 2); weights model.safetensors (1 tensor(s), headers read)\n";
        Assert.Contains("gpt2: model.checkpoint '../models/gpt2': gpt2 (GPT2LMHeadModel), 3 layer(s), hidden 48, vocabulary 50, 64 positions" + Files, error);
        Assert.Contains("llama: model.checkpoint '../models/llama': llama (LlamaForCausalLM), 2 layer(s), hidden 32, vocabulary 64, 128 positions" + Files, error);
        Assert.Contains("phi: model.checkpoint '../models/phi': phi (PhiForCausalLM), 2 layer(s), hidden 64, vocabulary 80, 256 positions" + Files, error);
        Assert.Contains("3 spec(s) checked: no errors.", error);
    }

    [Fact]
    public void Heads_that_do_not_divide_hidden_size_are_the_runtimes_message_at_the_checkpoint_line()
    {
        using var repo = new Repo();
        var config = repo.Checkpoint("odd", Llama.Replace("\"hidden_size\": 32", "\"hidden_size\": 130").Replace("\"num_key_value_heads\": 2, ", ""));
        var spec = repo.Spec("odd", "experiment: odd\nseed: 3\nmodel:\n  checkpoint: ../models/odd\n");

        var (code, output) = Validate(spec);
        Assert.Equal(1, code);
        // 130 = 2 * 5 * 13: heads whose head dimension 130 / h is even are 1, 5, 13 and 65.
        Assert.Equal($"{spec}(4,15): error DSLU0029: model.checkpoint '../models/odd': {config}: hidden_size (130) must be divisible by num_attention_heads (4); " +
            $"valid num_attention_heads for hidden_size 130: 1, 5, 13, 65{Fix}\n", output);
    }

    [Fact]
    public void Each_problem_of_a_config_is_its_own_diagnostic()
    {
        using var repo = new Repo();
        var gpt2 = repo.Checkpoint("gpt2", Gpt2.Replace("\"vocab_size\": 50, ", "").Replace("}", ", \"scale_attn_by_inverse_layer_idx\": true}"));
        // Phi rotates int(head_dim * factor) features of a head: 64 / 4 = 16 and int(16 * 0.1) = 1, odd. Only 1 head
        // (int(64 * 0.1) = 6) gives an even rotary part of at least 2: h = 2, 4, ... give int(3.2) = 3, int(1.6) = 1, 0, ...
        var phi = repo.Checkpoint("phi", Phi.Replace("\"partial_rotary_factor\": 0.5", "\"partial_rotary_factor\": 0.1"));
        var a = repo.Spec("a", "experiment: a\nmodel: { checkpoint: ../models/gpt2 }\n");
        var b = repo.Spec("b", "experiment: b\nmodel:\n  dtype: float32\n  checkpoint: ../models/phi\n");

        var (code, output, error) = CliWithErrors("validate", repo.Project);
        Assert.Equal(1, code);
        Assert.Equal(
            $"{a}(2,22): error DSLU0029: model.checkpoint '../models/gpt2': {gpt2}: scale_attn_by_inverse_layer_idx = true is not supported{Fix}\n" +
            $"{a}(2,22): error DSLU0029: model.checkpoint '../models/gpt2': {gpt2}: vocab_size is missing (required){Fix}\n" +
            $"{b}(4,15): error DSLU0029: model.checkpoint '../models/phi': {phi}: the rotary dimension int(head dimension 64/4 = 16 * partial_rotary_factor 0.1) = 1 " +
            $"must be even and >= 2; valid num_attention_heads for hidden_size 64: 1{Fix}\n", output);
        Assert.Contains("2 spec(s) checked: 3 error(s).", error);
    }

    [Fact]
    public void An_unknown_model_type_and_broken_json_name_the_file_and_the_place()
    {
        using var repo = new Repo();
        var mistral = repo.Checkpoint("mistral", Llama.Replace("\"llama\"", "\"mistral\""));
        // A trailing comma: line 3 (0-based) of the file, at its first byte.
        var broken = repo.Checkpoint("broken", "{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 32,\n}\n");
        var a = repo.Spec("a", "experiment: a\nmodel:\n  checkpoint: ../models/mistral\n");
        var b = repo.Spec("b", "experiment: b\nmodel:\n  checkpoint: ../models/broken\n");

        var (code, output) = Validate(repo.Project);
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"{a}(3,15): error DSLU0029: model.checkpoint '../models/mistral': {mistral}: model_type = \"mistral\" is not supported; supported: llama, gpt2, phi{Fix}", lines[0]);
        Assert.StartsWith($"{b}(3,15): error DSLU0029: model.checkpoint '../models/broken': {broken}: not valid JSON (", lines[1]);
        Assert.Contains("LineNumber: 3 | BytePositionInLine: 0.", lines[1]);
        Assert.EndsWith(Fix, lines[1]);
    }

    [Fact]
    public void A_missing_folder_or_config_says_where_it_was_looked_for_and_how_to_fix_it()
    {
        using var repo = new Repo();
        Directory.CreateDirectory(Path.Combine(repo.Root, "models", "empty"));
        var none = repo.Spec("none", "experiment: none\nmodel:\n  checkpoint: ../models/none\n");
        var empty = repo.Spec("empty", "experiment: empty\nmodel:\n  checkpoint: ../models/empty\n");
        // The default data root is ../shared/data beside the repository: here a folder beside the temporary one.
        var shared = Path.GetFullPath(Path.Combine(repo.Root, "..", "shared", "data"));
        var missing = $"no-model-{Path.GetFileName(repo.Root)}";
        var data = repo.Spec("data", $"experiment: data\nmodel:\n  checkpoint: ../../shared/data/{missing}\n");

        var (code, output) = Validate(repo.Project);
        Assert.Equal(1, code);
        const string Put = "put the checkpoint there (config.json, model.safetensors and the tokenizer files) or correct the path (relative to the spec file)";
        Assert.Equal(
            $"{data}(3,15): error DSLU0029: model.checkpoint '../../shared/data/{missing}' names the folder {Path.Combine(shared, missing)}, which does not exist; " +
            $"it lies under the default data root {shared} (../shared/data; no --data-root was given): {Put}, or, where checkpoints live in another folder, " +
            "write that path and pass the folder with --data-root DIR (the build: MSBuild property DslUnlearnDataRoots)\n" +
            $"{empty}(3,15): error DSLU0029: model.checkpoint '../models/empty': {Path.Combine(repo.Root, "models", "empty", "config.json")} does not exist; " +
            "a Hugging Face checkpoint folder holds config.json beside model.safetensors and the tokenizer files (as transformers' save_pretrained writes them): " +
            "point model.checkpoint at such a folder\n" +
            $"{none}(3,15): error DSLU0029: model.checkpoint '../models/none' names the folder {Path.Combine(repo.Root, "models", "none")}, which does not exist; {Put}\n",
            output);

        // Under a root passed with --data-root (it replaces the default): said so, with the same fix.
        var roots = Path.Combine(repo.Root, "checkpoints");
        Directory.CreateDirectory(roots);
        File.Delete(data);
        File.Delete(empty);
        File.WriteAllText(none, "experiment: none\nmodel:\n  checkpoint: ../checkpoints/gone\n");
        var (code2, output2, _) = CliWithErrors("validate", repo.Project, "--data-root", roots);
        Assert.Equal(1, code2);
        Assert.Equal($"{none}(3,15): error DSLU0029: model.checkpoint '../checkpoints/gone' names the folder {Path.Combine(roots, "gone")}, which does not exist; " +
            $"it lies under the data root {roots} given with --data-root: {Put}\n", output2);
    }

    [Fact]
    public void A_checkpoint_written_in_a_base_file_is_reported_there_and_pool_sizes_on_a_checkpoint_stay_the_builds_error()
    {
        using var repo = new Repo();
        var config = repo.Checkpoint("bad", Llama.Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"));
        Directory.CreateDirectory(Path.Combine(repo.Project, "base"));
        var base_ = Path.Combine(repo.Project, "base", "ckpt.yaml");
        File.WriteAllText(base_, "# shared model\nmodel:\n  checkpoint: ../../models/bad\n");
        repo.Spec("child", "experiment: child\nextends: base/ckpt.yaml\n");

        var (code, output) = Validate(repo.Project);
        Assert.Equal(1, code);
        Assert.Equal($"{base_}(3,15): error DSLU0029: model.checkpoint '../../models/bad': {config}: num_attention_heads (4) must be divisible by num_key_value_heads (3) " +
            $"for grouped-query attention; valid num_key_value_heads for 4 num_attention_heads: 1, 2, 4{Fix}\n", output);

        // Pool sizes override model: sizes, which a checkpoint does not have: the build refuses them (DSLU0017), whatever the
        // checkpoint's family, so no family rule applies to them and the checkpoint is not read.
        repo.Checkpoint("good", Llama);
        File.WriteAllText(base_, "model:\n  checkpoint: ../../models/good\nmeta_eval:\n  faithfulness:\n    seeds: [1]\n    sizes:\n      - hidden_size: 64\n");
        (code, output) = Validate(repo.Project);
        Assert.Equal(1, code);
        Assert.Equal($"{base_}(7,7): error DSLU0017: meta_eval.faithfulness.sizes overrides model: sizes, but the model is the checkpoint models/good; " +
            "remove 'sizes' or build a preset.\n", output);
    }

    [Fact]
    public void A_missing_or_unreadable_tokenizer_is_the_runtimes_message_naming_the_file()
    {
        using var repo = new Repo();
        var none = Path.GetDirectoryName(repo.Checkpoint("none", Llama, tokenizer: null))!;
        var broken = Path.GetDirectoryName(repo.Checkpoint("broken", Llama, tokenizer: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0,}}}"))!;
        var a = repo.Spec("a", "experiment: a\nmodel:\n  checkpoint: ../models/none\n");
        var b = repo.Spec("b", "experiment: b\nmodel:\n  checkpoint: ../models/broken\n");

        var (code, output) = Validate(repo.Project);
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"{a}(3,15): error DSLU0029: model.checkpoint '../models/none': '{none}' has no tokenizer: expected tokenizer.json, tokenizer.model, " +
            $"vocab.json + merges.txt, or an <encoding>.tiktoken file{TokenizerFix}", lines[0]);
        // System.Text.Json stops at the '}' after the trailing comma: byte 43 (0-based) of the file's only line.
        Assert.StartsWith($"{b}(3,15): error DSLU0029: model.checkpoint '../models/broken': {Path.Combine(broken, "tokenizer.json")}: cannot read the BPE model (", lines[1]);
        Assert.Contains("LineNumber: 0 | BytePositionInLine: 43.)", lines[1]);
        Assert.EndsWith(TokenizerFix, lines[1]);
    }

    [Fact]
    public void An_end_of_sequence_token_that_is_missing_or_not_in_the_vocabulary_is_an_error_not_a_guess()
    {
        using var repo = new Repo();
        // No eos_token named and none of the conventional ones (<|endoftext|>, </s>, <eos>) in the vocabulary.
        var bare = Path.GetDirectoryName(repo.Checkpoint("bare", Llama, tokenizer: Tokenizer.Replace("\"</s>\"", "\"c\"")))!;
        // tokenizer_config.json names a token the vocabulary lacks.
        var named = Path.GetDirectoryName(repo.Checkpoint("named", Llama))!;
        File.WriteAllText(Path.Combine(named, "tokenizer_config.json"), """{"eos_token": "<|im_end|>"}""");
        var a = repo.Spec("a", "experiment: a\nmodel:\n  checkpoint: ../models/bare\n");
        var b = repo.Spec("b", "experiment: b\nmodel:\n  checkpoint: ../models/named\n");

        var (code, output) = Validate(repo.Project);
        Assert.Equal(1, code);
        Assert.Equal(
            $"{a}(3,15): error DSLU0029: model.checkpoint '../models/bare': {Path.Combine(bare, "tokenizer.json")}: no end-of-sequence token: no eos_token is named " +
            "in tokenizer_config.json or special_tokens_map.json, and the vocabulary has none of <|endoftext|>, </s>, <eos>. " +
            $"Add {{\"eos_token\": \"<the end-of-sequence token>\"}} to {Path.Combine(bare, "tokenizer_config.json")}{TokenizerFix}\n" +
            $"{b}(3,15): error DSLU0029: model.checkpoint '../models/named': {Path.Combine(named, "tokenizer_config.json")}: eos_token '<|im_end|>' is not in the " +
            $"vocabulary of {Path.Combine(named, "tokenizer.json")}; set eos_token to the tokenizer's end-of-sequence token (or add that token to the tokenizer file)" +
            $"{TokenizerFix}\n", output);
    }

    [Fact]
    public void Missing_weights_or_pickle_only_weights_are_named_with_the_fix()
    {
        using var repo = new Repo();
        var none = Path.GetDirectoryName(repo.Checkpoint("none", Llama, weights: false))!;
        var pickle = Path.GetDirectoryName(repo.Checkpoint("pickle", Llama, weights: false))!;
        File.WriteAllBytes(Path.Combine(pickle, "pytorch_model.bin"), [0x80, 0x02, 0x8a, 0x0a]);
        var a = repo.Spec("a", "experiment: a\nmodel:\n  checkpoint: ../models/none\n");
        var b = repo.Spec("b", "experiment: b\nmodel:\n  checkpoint: ../models/pickle\n");

        var (code, output, error) = CliWithErrors("validate", repo.Project);
        Assert.Equal(1, code);
        Assert.Equal(
            $"{a}(3,15): error DSLU0029: model.checkpoint '../models/none': '{none}' has neither model.safetensors nor model.safetensors.index.json{WeightsFix}\n" +
            $"{b}(3,15): error DSLU0029: model.checkpoint '../models/pickle': {Path.Combine(pickle, "pytorch_model.bin")}: '{pickle}' holds only pickle weights " +
            "(pytorch_model.bin): this is a PyTorch pickle checkpoint (.bin/.pt/.pth), which DslUnlearn refuses to load because unpickling can run arbitrary code. " +
            "Convert it to safetensors once, e.g. in Python: AutoModelForCausalLM.from_pretrained(src).save_pretrained(dst, safe_serialization=True), " +
            $"then point the spec at the folder holding config.json and model.safetensors{WeightsFix}\n", output);
        Assert.Contains("2 spec(s) checked: 2 error(s).", error);
    }

    [Fact]
    public void A_safetensors_header_that_is_cut_short_or_not_json_or_promises_more_data_than_the_file_holds_is_reported_with_its_byte_offset()
    {
        using var repo = new Repo();
        // The length field says 100 header bytes; the file is that field and 14 bytes, 22 in all.
        var shortHeader = Weights(repo, "short", [.. Length(100), .. "{\"w\": {\"dtype\""u8]);
        // A 10-byte header "{not json}": System.Text.Json stops at the 'n', byte 1 of the header, 8 + 1 = 9 of the file.
        var notJson = Weights(repo, "notjson", [.. Length(10), .. "{not json}"u8]);
        // A correct header for a 2 x 3 float32 tensor (24 bytes), then only 10 bytes of data.
        var header = """{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}"""u8.ToArray();
        var cut = Weights(repo, "cut", [.. Length(header.Length), .. header, .. new byte[10]]);
        repo.Spec("a", "experiment: a\nmodel:\n  checkpoint: ../models/short\n");
        repo.Spec("b", "experiment: b\nmodel:\n  checkpoint: ../models/notjson\n");
        repo.Spec("c", "experiment: c\nmodel:\n  checkpoint: ../models/cut\n");

        var (code, output) = Validate(repo.Project);
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal($"{repo.Spec("a")}(3,15): error DSLU0029: model.checkpoint '../models/short': {shortHeader} (byte offset 8): truncated: the header needs 100 bytes " +
            $"after offset 8, but the file ends at byte 22{WeightsFix}", lines[0]);
        Assert.StartsWith($"{repo.Spec("b")}(3,15): error DSLU0029: model.checkpoint '../models/notjson': {notJson} (byte offset 9): corrupt header: invalid JSON (", lines[1]);
        Assert.EndsWith(WeightsFix, lines[1]);
        var dataStart = 8 + header.Length;
        Assert.Equal($"{repo.Spec("c")}(3,15): error DSLU0029: model.checkpoint '../models/cut': {cut} (byte offset {dataStart + 24}): truncated: tensor 'w' needs " +
            $"bytes up to offset {dataStart + 24}, but the file ends at byte {dataStart + 10}{WeightsFix}", lines[2]);
    }

    [Fact]
    public void Every_shard_of_an_index_is_read_and_a_missing_one_is_named()
    {
        using var repo = new Repo();
        var folder = Path.GetDirectoryName(repo.Checkpoint("sharded", Llama, weights: false))!;
        Repo.Safetensors(Path.Combine(folder, "model-00001-of-00002.safetensors"), ("a", [4]), ("b", [2, 2]));
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
            """{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}""");
        var spec = repo.Spec("s", "experiment: s\nmodel:\n  checkpoint: ../models/sharded\n");

        var (code, output) = Validate(spec);
        Assert.Equal(1, code);
        Assert.Equal($"{spec}(3,15): error DSLU0029: model.checkpoint '../models/sharded': {Path.Combine(folder, "model-00002-of-00002.safetensors")}: " +
            $"file not found{WeightsFix}\n", output);

        // With the second shard: both headers are read, three tensors in all.
        Repo.Safetensors(Path.Combine(folder, "model-00002-of-00002.safetensors"), ("c", [3]));
        var (code2, output2, error2) = CliWithErrors("validate", spec);
        Assert.Equal(string.Empty, output2);
        Assert.Equal(0, code2);
        Assert.Contains("; tokenizer tokenizer.json (3 ids, end of sequence 2); weights 2 shards (3 tensor(s), headers read)\n", error2);
    }

    [Fact]
    public void Config_tokenizer_and_weights_problems_of_one_folder_are_all_reported()
    {
        using var repo = new Repo();
        var config = repo.Checkpoint("all", Llama.Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"), tokenizer: null, weights: false);
        var folder = Path.GetDirectoryName(config)!;
        var spec = repo.Spec("all", "experiment: all\nmodel:\n  checkpoint: ../models/all\n");

        var (code, output, error) = CliWithErrors("validate", spec);
        Assert.Equal(1, code);
        Assert.Equal(
            $"{spec}(3,15): error DSLU0029: model.checkpoint '../models/all': {config}: num_attention_heads (4) must be divisible by num_key_value_heads (3) " +
            $"for grouped-query attention; valid num_key_value_heads for 4 num_attention_heads: 1, 2, 4{Fix}\n" +
            $"{spec}(3,15): error DSLU0029: model.checkpoint '../models/all': '{folder}' has no tokenizer: expected tokenizer.json, tokenizer.model, " +
            $"vocab.json + merges.txt, or an <encoding>.tiktoken file{TokenizerFix}\n" +
            $"{spec}(3,15): error DSLU0029: model.checkpoint '../models/all': '{folder}' has neither model.safetensors nor model.safetensors.index.json{WeightsFix}\n",
            output);
        Assert.Contains("1 spec(s) checked: 3 error(s).", error);
    }

    /// <summary>A checkpoint whose model.safetensors holds <paramref name="bytes"/>; returns that file's path.</summary>
    private static string Weights(Repo repo, string name, byte[] bytes)
    {
        var path = Path.Combine(Path.GetDirectoryName(repo.Checkpoint(name, Llama, weights: false))!, "model.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>safetensors' 8-byte little-endian header length.</summary>
    private static byte[] Length(long n) => BitConverter.GetBytes(n) is var b && BitConverter.IsLittleEndian ? b : [.. b.Reverse()];

    [Fact]
    public void DSLU0029_is_documented_with_the_other_ids()
    {
        var releases = File.ReadAllText(Path.Combine(RepoPaths.Root, "generators", "DslUnlearn.Generators", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains("DSLU0029 | DslUnlearn | Error | Bad model checkpoint", releases);
        Assert.Contains("| DSLU0029 |", File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "language.md")));
    }

    private static (int Code, string Output) Validate(string path)
    {
        var (code, output, _) = CliWithErrors("validate", path);
        return (code, output);
    }

    /// <summary>A repository in a temporary folder: experiments/ (a project) and models/ beside it.</summary>
    private sealed class Repo : IDisposable
    {
        private readonly TempFolder _folder = new();

        public Repo()
        {
            Directory.CreateDirectory(Project);
            File.WriteAllText(Path.Combine(Project, "x.csproj"), "<Project />");
        }

        public string Root => _folder.Path;

        public string Project => Path.Combine(Root, "experiments");

        /// <summary>
        /// Writes models/&lt;name&gt;/config.json, a tokenizer.json (unless null) and a model.safetensors of one 2 x 2 float32
        /// tensor (unless not asked); returns config.json's path. validate reads only the weights' headers, and no runtime
        /// check of tensor names and shapes against config.json works on headers alone, so one tensor passes for any config.
        /// </summary>
        public string Checkpoint(string name, string config, string? tokenizer = ValidateCheckpointTests.Tokenizer, bool weights = true)
        {
            var folder = Path.Combine(Root, "models", name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "config.json"), config);
            if (tokenizer is not null) File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer);
            if (weights) Safetensors(Path.Combine(folder, "model.safetensors"), ("lm_head.weight", [2, 2]));
            return Path.Combine(folder, "config.json");
        }

        /// <summary>
        /// A safetensors file of float32 tensors, laid out as the format says: the header's byte length (8 bytes, little
        /// endian), the JSON header {name: {dtype, shape, data_offsets}}, then the data, here zeros of 4 bytes an element.
        /// </summary>
        public static void Safetensors(string path, params (string Name, long[] Shape)[] tensors)
        {
            var entries = new List<string>();
            long offset = 0;
            foreach (var (tensorName, shape) in tensors)
            {
                var bytes = 4 * shape.Aggregate(1L, (a, b) => a * b);
                entries.Add($"\"{tensorName}\": {{\"dtype\": \"F32\", \"shape\": [{string.Join(", ", shape)}], \"data_offsets\": [{offset}, {offset + bytes}]}}");
                offset += bytes;
            }

            var header = System.Text.Encoding.UTF8.GetBytes("{" + string.Join(", ", entries) + "}");
            File.WriteAllBytes(path, [.. Length(header.Length), .. header, .. new byte[offset]]);
        }

        public string Spec(string name, string yaml)
        {
            var path = Spec(name);
            File.WriteAllText(path, yaml);
            return path;
        }

        public string Spec(string name) => Path.Combine(Project, name + ".yaml");

        public void Dispose() => _folder.Dispose();
    }
}
