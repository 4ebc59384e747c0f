using System.Text.Json;
using DslUnlearn.Checkpoints;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Pipeline;
using DslUnlearn.Specs;
using DslUnlearn.Tests.Support;
using DslUnlearn.Tests.Text;
using TorchSharp;

namespace DslUnlearn.Tests.Pipeline;

/// <summary>The spec's data and model sections reach real loaders: TOFU folders and Hugging Face checkpoint folders.</summary>
public class RunInputsTests
{
    private static readonly string TofuFolder = Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "data", "tofu"));

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DslUnlearn.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void Tofu_data_source_loads_the_named_forget_split_and_its_retain_split()
    {
        if (!Directory.Exists(TofuFolder))
        {
            Console.WriteLine($"skipped: TOFU data not found at {TofuFolder}");
            return;
        }
        var spec = TestSpecs.Tiny("unused") with { Data = new DataSpec { Source = DataSource.Tofu, Path = TofuFolder, Split = "forget01", Authors = 2, QaPerAuthor = 1, ForgetAuthors = 1 } };
        var data = RunInputs.LoadData(spec);
        Assert.Equal(40, data.Forget.Count);
        Assert.Equal(3960, data.Retain.Count);
        Assert.All(data.Forget, e => Assert.NotEqual(e.Question, e.ParaphrasedQuestion));

        // data.retain_authors keeps the first N retain authors, whole (20 pairs each), and never cuts the forget split.
        var limited = RunInputs.LoadData(spec with { Data = spec.Data with { RetainAuthors = 3 } });
        Assert.Equal(40, limited.Forget.Count);
        Assert.Equal(data.Retain.Take(60), limited.Retain);
    }

    [Fact]
    public void Retain_authors_keeps_whole_authors_and_refuses_zero()
    {
        QaExample ex(string q) => new(0, "author", q, "a", q);
        var data = new QaDataset([ex("f")], Enumerable.Range(0, 10).Select(i => ex($"r{i}")).ToList());
        Assert.Same(data, data.WithRetainAuthors(null, 2));
        Assert.Equal(["r0", "r1", "r2", "r3"], data.WithRetainAuthors(2, 2).Retain.Select(e => e.Question));
        Assert.Same(data, data.WithRetainAuthors(9, 2)); // more than there are: everything
        Assert.Throws<ArgumentOutOfRangeException>(() => data.WithRetainAuthors(0, 2));
    }

    [Fact]
    public void A_missing_data_path_names_the_key_and_the_fix()
    {
        var spec = TestSpecs.Tiny("unused") with { Data = new DataSpec { Source = DataSource.Tofu, Path = "no/such/tofu", Split = "forget01", Authors = 2, QaPerAuthor = 1, ForgetAuthors = 1 } };
        var e = Assert.Throws<FileNotFoundException>(() => RunInputs.LoadData(spec));
        Assert.Contains("tiny.yaml: data.path 'no/such/tofu' was not found", e.Message);
    }

    [Fact]
    public void A_checkpoint_folder_gives_its_tokenizer_and_its_exact_weights_and_runs_end_to_end()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "ckpt");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(TokenizerTests.ByteLevelVocab()));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n" + string.Join("\n", TokenizerTests.Merges) + "\n");
        torch.manual_seed(11);
        using (var saved = new LlamaForCausalLM(new LlamaConfig(262, 32, 1, 4, 2, 64, MaxPositionEmbeddings: 256)))
            Checkpoint.Save(saved, folder);

        var spec = TestSpecs.Tiny(dir.Path, epochs: 1) with { Model = TestSpecs.Tiny("unused").Model with { Checkpoint = folder } };
        var source = RunInputs.ModelSource(spec);
        Assert.Equal(262, source.Tokenizer.VocabSize);
        Assert.Equal(256, source.MaxPositions);
        using var a = source.CreateInitial();
        using var b = CausalLMFactory.FromFolder(folder);
        using var ids = torch.tensor(new long[] { 1, 2, 3, 4 }, [1, 4]);
        using var la = a.Logits(ids);
        using var lb = b.Logits(ids);
        Assert.True(la.allclose(lb, rtol: 0, atol: 0));

        // The staged runner fine-tunes and unlearns the checkpoint with its own tokenizer.
        var result = ExperimentRunner.Run(spec, new RunOptions());
        using var json = JsonDocument.Parse(File.ReadAllBytes(result.ResultsJsonPath));
        Assert.Equal(["untrained", "target", "ga", "gd"], json.RootElement.GetProperty("models").EnumerateObject().Select(p => p.Name));

        // summary.md describes the checkpoint, not the spec's (unused) preset section.
        long parameters = json.RootElement.GetProperty("parameters").GetInt64();
        string summary = File.ReadAllText(result.SummaryPath);
        Assert.Contains($"- model: llama (LlamaForCausalLM) from checkpoint `{folder}`, 1 layer, hidden 32, vocabulary 262, {parameters:N0} parameters;", summary);
        Assert.DoesNotContain("tiny-llama", summary);
    }
}
