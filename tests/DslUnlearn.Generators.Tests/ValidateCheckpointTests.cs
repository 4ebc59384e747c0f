using static DslUnlearn.Generators.Tests.ValidateCommandTests;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// `dslunlearn validate` reads the checkpoint folder model.checkpoint names, which the build cannot (DSLU0029 at the YAML
/// value). The config.json files are written here by hand, from Hugging Face's key names; the expected messages are the
/// runtime's rules worked out by arithmetic (the valid head counts are the divisors of hidden_size with an even quotient).
/// </summary>
public sealed class ValidateCheckpointTests
{
    private const string Llama = """{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 64, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128, "hidden_act": "silu"}""";
    private const string Gpt2 = """{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50, "n_positions": 64, "n_embd": 48, "n_layer": 3, "n_head": 6}""";
    private const string Phi = """{"architectures": ["PhiForCausalLM"], "model_type": "phi", "vocab_size": 80, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128, "max_position_embeddings": 256, "partial_rotary_factor": 0.5}""";
    private const string Fix = "; fix config.json, or point model.checkpoint at another checkpoint folder";

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
        Assert.Contains("gpt2: model.checkpoint '../models/gpt2': gpt2 (GPT2LMHeadModel), 3 layer(s), hidden 48, vocabulary 50, 64 positions\n", error);
        Assert.Contains("llama: model.checkpoint '../models/llama': llama (LlamaForCausalLM), 2 layer(s), hidden 32, vocabulary 64, 128 positions\n", error);
        Assert.Contains("phi: model.checkpoint '../models/phi': phi (PhiForCausalLM), 2 layer(s), hidden 64, vocabulary 80, 256 positions\n", error);
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

        /// <summary>Writes models/&lt;name&gt;/config.json; returns its path.</summary>
        public string Checkpoint(string name, string config)
        {
            var folder = Path.Combine(Root, "models", name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "config.json"), config);
            return Path.Combine(folder, "config.json");
        }

        public string Spec(string name, string yaml)
        {
            var path = Path.Combine(Project, name + ".yaml");
            File.WriteAllText(path, yaml);
            return path;
        }

        public void Dispose() => _folder.Dispose();
    }
}
