using DslUnlearn.Checkpoints;
using DslUnlearn.Pipeline;
using DslUnlearn.Tests.Text;

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
        var retain99 = TofuData.LoadFile(Path.Combine(TofuFolder, "retain99.json"));
        Assert.Equal(40, data.Forget.Count);
        Assert.All(data.Forget, e => Assert.NotEqual(e.Question, e.ParaphrasedQuestion));
        // Retain-eval: retain_perturbed's 400 rows (20 authors, the default cap), which are retain99's first 400 with the extra fields.
        Assert.Equal(400, data.RetainEval.Count);
        Assert.Equal(retain99.Take(400).Select(e => (e.Question, e.Answer)), data.RetainEval.Select(e => (e.Question, e.Answer)));
        Assert.All(data.RetainEval, e => { Assert.NotNull(e.ParaphrasedQuestion); Assert.NotNull(e.ParaphrasedAnswer); Assert.Equal(5, e.PerturbedAnswers.Count); });
        Assert.Equal(retain99.Skip(400), data.RetainTrain);
        Assert.Equal(retain99.Select(e => (e.Question, e.Answer)), data.FinetuneRetain.Select(e => (e.Question, e.Answer)));
        Assert.Empty(data.Holdout);
        Assert.Equal([("real_authors", 100), ("world_facts", 117)], data.Auxiliary.Select(kv => (kv.Key, kv.Value.Count)).Order());

        // data.retain_authors keeps the first N retain authors, whole (20 pairs each), and never cuts the forget split;
        // a ninth of them (rounded up) is retain-eval. holdout_authors takes the split's last retain authors out.
        var limited = RunInputs.LoadData(spec with { Data = spec.Data with { RetainAuthors = 3, HoldoutAuthors = 2 } });
        Assert.Equal(40, limited.Forget.Count);
        Assert.Equal(retain99.Take(60).Select(e => (e.Question, e.Answer)), limited.FinetuneRetain.Select(e => (e.Question, e.Answer)));
        Assert.Equal((20, 40), (limited.RetainEval.Count, limited.RetainTrain.Count));
        Assert.Equal(retain99.Skip(retain99.Count - 40), limited.Holdout);
        Assert.Equal(["tofu-author-196", "tofu-author-197"], limited.Holdout.Select(e => e.Author).Distinct());
    }

    [Fact]
    public void The_paper_tofu_spec_measures_retain_perturbed_a_holdout_and_the_auxiliary_sets()
    {
        if (!Directory.Exists(TofuFolder))
        {
            Console.WriteLine($"skipped: TOFU data not found at {TofuFolder}");
            return;
        }
        var spec = DslUnlearn.Experiments.ExperimentCatalog.Find("paper-tofu-compare-forget10")!.Spec;
        spec = spec with { Data = spec.Data with { Path = TofuFolder } };
        Assert.True(spec.Finetune.Oracle);
        Assert.Equal(["es_exact", "es_perturb", "em", "truth_ratio", "forget_quality", "model_utility", "mia_loss", "mia_zlib", "mia_min_k", "mia_min_k_plus_plus", "privleak"],
            spec.Metrics.Select(m => m.Name));
        Assert.Equal([SplitKind.Forget, SplitKind.Retain], spec.Metrics.Single(m => m.Name == "es_perturb").Splits.ToArray());
        var data = RunInputs.LoadData(spec);                      // also the run-time needs check
        Assert.Equal((400, 20, 60, 400), (data.Forget.Count, data.RetainEval.Count, data.RetainTrain.Count, data.Holdout.Count));
        // ES perturb on retain asks retain_perturbed's paraphrased questions, which differ from the questions.
        Assert.All(data.RetainEval, e => Assert.NotEqual(e.Question, e.ParaphrasedQuestion));
        Assert.Equal(["real_authors", "world_facts"], data.Auxiliary.Keys.Order());
        Assert.Equal(["tofu-author-160", "tofu-author-179"], new[] { data.Holdout[0].Author, data.Holdout[^1].Author });
        Assert.Empty(data.Holdout.Select(e => e.Author).Intersect(data.Forget.Concat(data.FinetuneRetain).Select(e => e.Author)));

        // Without the oracle or the holdout the run stops before training, with the generator's wording.
        var noOracle = Assert.Throws<InvalidOperationException>(() => RunInputs.LoadData(spec with { Finetune = spec.Finetune with { Oracle = false } }));
        Assert.Contains(DslUnlearn.Components.MetricNeedsText.For("forget_quality", DslUnlearn.Components.MetricNeeds.Oracle), noOracle.Message);
        var noHoldout = Assert.Throws<InvalidOperationException>(() => RunInputs.LoadData(spec with { Data = spec.Data with { HoldoutAuthors = null } }));
        Assert.Contains(DslUnlearn.Components.MetricNeedsText.For("mia_loss", DslUnlearn.Components.MetricNeeds.Holdout), noHoldout.Message);
    }

    [Fact]
    public void A_holdout_file_supplies_the_non_members_and_enters_no_training()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "nonmembers.json");
        File.WriteAllLines(path, ["""{"question":"Who is Q?","answer":"Nobody."}""", """{"question":"Who is R?","answer":"Someone."}"""]);
        var spec = TestSpecs.Tiny("unused") with { Data = TestSpecs.Tiny("unused").Data with { Holdout = path } };
        var data = RunInputs.LoadData(spec);
        Assert.Equal(["Who is Q?", "Who is R?"], data.Holdout.Select(e => e.Question));
        Assert.All(data.Holdout, e => Assert.Null(e.ParaphrasedQuestion));
        Assert.DoesNotContain(data.Forget.Concat(data.FinetuneRetain), e => e.Question.StartsWith("Who is", StringComparison.Ordinal));
        var missing = Assert.Throws<FileNotFoundException>(() => RunInputs.LoadData(spec with { Data = spec.Data with { Holdout = "no/such.json" } }));
        Assert.Contains("data.holdout 'no/such.json' was not found", missing.Message);
    }

    private static TofuBenchmark FakeTofu(int retainAuthors = 30, int evalAuthors = 20)
    {
        QaExample Row(int i, bool perturbed) => new(i, $"tofu-author-{i / TofuData.QaPerAuthor:D3}", $"q{i}", $"a{i}", perturbed ? $"pq{i}" : null)
        { ParaphrasedAnswer = perturbed ? $"pa{i}" : null, PerturbedAnswers = perturbed ? [$"w{i}"] : [] };
        var retain = Enumerable.Range(0, retainAuthors * TofuData.QaPerAuthor).Select(i => Row(i, false)).ToList();
        var eval = Enumerable.Range(0, evalAuthors * TofuData.QaPerAuthor).Select(i => Row(i, true)).ToList();
        return new TofuBenchmark("forget10", [Row(0, true) with { Author = "f" }], retain, eval, null, null);
    }

    [Fact]
    public void Tofu_splits_keep_retain_eval_holdout_and_retain_train_disjoint_and_refuse_impossible_sizes()
    {
        var b = FakeTofu();
        var all = b.ToDataset();
        Assert.Equal((80, 520, 0), (all.RetainEval.Count, all.RetainTrain.Count, all.Holdout.Count)); // ceil(30 / 9) = 4 eval authors
        Assert.Equal("pq0", all.RetainEval[0].ParaphrasedQuestion); // the evaluation rows carry retain_perturbed's fields
        var d = b.ToDataset(retainAuthors: 4, retainEvalAuthors: 2, holdoutAuthors: 3);
        Assert.Equal(["q0", "q39"], new[] { d.RetainEval[0].Question, d.RetainEval[^1].Question });
        Assert.Equal(["q40", "q79"], new[] { d.RetainTrain[0].Question, d.RetainTrain[^1].Question });
        Assert.Equal(["q540", "q599"], new[] { d.Holdout[0].Question, d.Holdout[^1].Question });
        Assert.Equal(1, b.ToDataset(retainAuthors: 4).RetainEval.Count / TofuData.QaPerAuthor); // default: ceil(4 / 9)
        Assert.Same(d.Forget, b.Forget);
        Assert.Contains("retain_eval_authors must be in 1..3", Assert.Throws<ArgumentOutOfRangeException>(() => b.ToDataset(retainAuthors: 4, retainEvalAuthors: 4)).Message);
        Assert.Contains("retain_eval_authors must be in 1..20", Assert.Throws<ArgumentOutOfRangeException>(() => b.ToDataset(retainEvalAuthors: 21)).Message);
        Assert.Contains("holdout_authors must be in 0..9", Assert.Throws<ArgumentOutOfRangeException>(() => b.ToDataset(holdoutAuthors: 10)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.ToDataset(retainAuthors: 0));
        Assert.Equal(b.Retain.Take(540).Select(e => (e.Question, e.Answer)), b.ToDataset(retainAuthors: 99, holdoutAuthors: 3).FinetuneRetain.Select(e => (e.Question, e.Answer))); // more than there are: all but the holdout
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
        using var b = Checkpoint.Load(folder);
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

    [Fact]
    public void Data_and_model_ranges_are_checked_at_run_time_from_the_option_declarations()
    {
        var spec = TestSpecs.Tiny("unused");
        var data = Assert.Throws<ArgumentException>(() => RunInputs.LoadData(spec with { Data = spec.Data with { Authors = 1 } }));
        Assert.Contains("data: 'authors' must be in 2..1000, got 1", data.Message);
        var model = Assert.Throws<ArgumentException>(() => RunInputs.ModelSource(spec with { Model = spec.Model with { HiddenSize = 4 } }));
        Assert.Contains("model: 'hidden_size' must be >= 8, got 4", model.Message);
        var seed = Assert.Throws<ArgumentException>(() => RunInputs.LoadData(spec with { Seed = -1 }));
        Assert.Contains("top level: 'seed' must be >= 0, got -1; set it to a value >= 0", seed.Message);
        Assert.NotNull(RunInputs.LoadData(spec)); // the defaults are inside their ranges
    }

    [Fact]
    public void Testbed_and_pretrain_ranges_are_checked_at_run_time_from_the_option_declarations()
    {
        var spec = TestSpecs.Tiny("unused");
        var testbed = new TestbedSpec
        {
            Attributes = 12, BiographiesPerAuthor = 4, SentenceTemplates = 3, QuestionTemplates = 3, MixedShare = 0.5, HoldoutAuthors = 4, Tokenizer = "char",
            Pretrain = new FinetuneSpec { Epochs = 1, Lr = 2e-3, BatchSize = 16, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 1 },
        };
        var biographies = spec with { Data = spec.Data with { Source = DataSource.Biographies } };
        var attributes = Assert.Throws<ArgumentException>(() => RunInputs.LoadData(biographies with { Testbed = testbed with { Attributes = 17, MixedShare = 1.5 } }));
        Assert.Contains("testbed: 'attributes' must be in 1..16, got 17; set it to a value in 1..16; 'mixed_share' must be in 0..1, got 1.5", attributes.Message);
        var pretrain = Assert.Throws<ArgumentException>(() => RunInputs.LoadData(biographies with { Testbed = testbed with { Pretrain = testbed.Pretrain with { Lr = 0 } } }));
        Assert.Contains("testbed.pretrain: 'lr' must be > 0, got 0", pretrain.Message);
    }

    [Fact]
    public void Meta_eval_utility_range_is_checked_at_run_time_from_the_option_declaration()
    {
        var spec = TestSpecs.Tiny("unused");
        var metaEval = new MetaEvalSpec { Utility = new UtilityFilterSpec { Metric = "model_utility", Split = SplitKind.Retain, MinShare = 1.2 }, KnowledgeFilter = true };
        var share = Assert.Throws<ArgumentException>(() => RunInputs.LoadData(spec with { MetaEval = metaEval }));
        Assert.Contains("meta_eval.utility: 'min_share' must be in 0..1, got 1.2; set it to a value in 0..1", share.Message);
        Assert.NotNull(RunInputs.LoadData(spec with { MetaEval = metaEval with { Utility = metaEval.Utility with { MinShare = 0.8 } } }));
    }
}
