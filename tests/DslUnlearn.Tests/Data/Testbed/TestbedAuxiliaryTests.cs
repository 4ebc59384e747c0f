using DslUnlearn.Data;
using DslUnlearn.Data.Testbed;
using DslUnlearn.Engine;
using DslUnlearn.Experiments;
using DslUnlearn.Metrics;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Tests.Support;
using Microsoft.ML.Tokenizers;

namespace DslUnlearn.Tests.Data.Testbed;

/// <summary>testbed.auxiliary_splits: the testbed's own real_authors and world_facts (Data/Testbed/TestbedAuxiliary.cs), off by default.</summary>
public class TestbedAuxiliaryTests
{
    private static readonly PromptSpec Prompt = new() { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " };

    private static (TestbedInputs Off, TestbedInputs On) Inputs(int attributes = 6)
    {
        var t = BiographyWorldTests.Spec(attributes: attributes, bios: 2, mixed: 1.0, holdout: 2);
        return (TestbedInputs.Create(10, 2, t, Prompt), TestbedInputs.Create(10, 2, t with { AuxiliarySplits = true }, Prompt));
    }

    [Fact]
    public void Off_by_default_there_are_no_auxiliary_splits_and_on_keeps_the_experiments_own_world()
    {
        Assert.False(BiographyWorldTests.Spec().AuxiliarySplits);
        var (off, on) = Inputs();
        Assert.Empty(off.Data.Auxiliary);
        Assert.Equal(["real_authors", "world_facts"], on.Data.Auxiliary.Keys.Order(StringComparer.Ordinal));
        // The forget, retain and holdout rows, and every document the bases had, stay; the auxiliary documents come after them, in both corpora.
        Assert.Equal(off.Data.Forget, on.Data.Forget);
        Assert.Equal(off.Data.RetainTrain, on.Data.RetainTrain);
        Assert.Equal(off.Data.RetainEval, on.Data.RetainEval);
        Assert.Equal(off.Data.Holdout, on.Data.Holdout);
        int added = on.Corpus.Count - off.Corpus.Count;
        Assert.True(added > 0);
        Assert.Equal(off.Corpus, on.Corpus.Take(off.Corpus.Count));
        Assert.Equal(off.OracleCorpus, on.OracleCorpus.Take(off.OracleCorpus.Count));
        Assert.Equal(on.Corpus.Skip(off.Corpus.Count), on.OracleCorpus.Skip(off.OracleCorpus.Count));
        // Every auxiliary text is in the BPE vocabulary: as many tokens as GPT-2 gives it, so nothing falls back to characters.
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        var aux = on.Data.Auxiliary.Values.SelectMany(r => r).SelectMany(r => r.PerturbedAnswers.Prepend(r.Answer).Prepend(r.Question)).Concat(on.Corpus.Skip(off.Corpus.Count));
        Assert.All(aux, text => Assert.Equal(gpt2.EncodeToIds(text).Count, on.Tokenizer.Encode(text).Length));
    }

    [Fact]
    public void Real_authors_are_known_from_pretraining_only()
    {
        var (off, on) = Inputs();
        var real = on.Data.Auxiliary["real_authors"];
        Assert.Equal(TestbedAuxiliary.RealAuthors * 6, real.Count);
        var names = real.Select(r => r.Author).Distinct().ToList();
        Assert.Equal(TestbedAuxiliary.RealAuthors, names.Count);
        // Not one of the experiment's authors (forget, retain) nor a holdout author: no fine-tuning row, no metric split is about them.
        Assert.DoesNotContain(on.World.Authors, a => names.Contains(a.Name));
        Assert.DoesNotContain(on.Data.All.Except(real).Except(on.Data.Auxiliary["world_facts"]), r => names.Contains(r.Author));
        Assert.DoesNotContain(off.Corpus, d => names.Any(n => d.Contains(n, StringComparison.Ordinal)));
        foreach (var corpus in new[] { on.Corpus, on.OracleCorpus })
        {
            // Their biographies are in both bases' corpora (each states every fact they are asked), their QA pairs in neither.
            foreach (var r in real)
                Assert.Contains(corpus, d => d.Contains(r.Author, StringComparison.Ordinal) && d.Contains(Value(r), StringComparison.Ordinal) && !d.Contains(Prompt.AnswerTag, StringComparison.Ordinal));
            Assert.DoesNotContain(corpus, d => real.Any(r => d.Contains(r.Question, StringComparison.Ordinal)));
        }
        Assert.All(real, RowIsTofuShaped);
    }

    [Fact]
    public void World_facts_are_stated_in_both_corpora_and_only_the_other_half_of_each_relation_is_asked_in_pretraining()
    {
        var (_, on) = Inputs();
        var facts = on.Data.Auxiliary["world_facts"];
        Assert.Equal(TestbedAuxiliary.Relations.Count * TestbedAuxiliary.SubjectsPerRelation / 2, facts.Count);
        Assert.Equal(facts.Count, facts.Select(f => f.Author).Distinct().Count()); // one fact per subject
        foreach (var corpus in new[] { on.Corpus, on.OracleCorpus })
        {
            foreach (var f in facts)
            {
                // Stated (subject and value in one sentence) in as many almanac documents as an author has biographies, never asked.
                Assert.Equal(2, corpus.Count(d => d.Split(". ").Any(s => s.Contains(f.Author, StringComparison.Ordinal) && s.Contains(Value(f), StringComparison.Ordinal)) && !d.Contains(Prompt.AnswerTag, StringComparison.Ordinal)));
                Assert.DoesNotContain(corpus, d => d.Contains(f.Question, StringComparison.Ordinal));
            }
            // The mixed half: every training wording of each of their questions, once, with its answer.
            int qa = corpus.Count(d => TestbedAuxiliary.Relations.Any(r => d.StartsWith(Prompt.QuestionTag, StringComparison.Ordinal) && r.Questions.Any(q => Matches(d, q))));
            Assert.Equal(TestbedAuxiliary.Relations.Sum(r => r.Questions.Length) * TestbedAuxiliary.SubjectsPerRelation / 2, qa);
        }
        Assert.All(facts, RowIsTofuShaped);
    }

    [Fact]
    public void Model_utility_needs_the_key_on_biographies()
    {
        using var dir = new TempDir();
        var spec = UtilitySpec(dir.Path);
        var off = spec with { Testbed = spec.Testbed! with { AuxiliarySplits = false } };
        var e = Assert.Throws<InvalidOperationException>(() => RunInputs.LoadData(off));
        Assert.Contains("'data.source: biographies' with 'testbed.auxiliary_splits: true'", e.Message);
        Assert.Equal(2, RunInputs.LoadData(spec).Auxiliary.Count);
    }

    [Fact]
    public void Model_utility_runs_on_the_testbed_and_its_six_auxiliary_parts_enter()
    {
        // experiments/tests/testbed-model-utility.yaml: a small world trained enough that no part is 0 (a 0 part makes the harmonic mean 0).
        using var dir = new TempDir();
        var spec = ExperimentCatalog.Find("testbed-model-utility")!.Spec;
        var run = StagedExperimentRunner.Run(spec with { Report = spec.Report with { Out = dir.Path } }, new RunOptions { OutputRoot = dir.Path });
        Assert.Contains("pretrain/oracle", run.Executed);
        foreach (var name in new[] { "target", "oracle" })
        {
            var m = run.Result.Run.Models.Single(x => x.Name == name);
            double mu = m.Get("model_utility", SplitKind.Retain)!.AggValue, ru = m.Get("retain_utility", SplitKind.Retain)!.AggValue;
            Assert.InRange(mu, 1e-6, 1);
            Assert.InRange(ru, 1e-6, 1);
            // The harmonic mean of 9 parts with ru the one of their first 3: a different value unless the 6 others have the same mean.
            Assert.NotEqual(ru, mu, 6);
        }
    }

    [Fact]
    public void A_testbed_spec_that_does_not_set_the_key_keeps_every_stage_key_and_on_moves_the_pretrainings()
    {
        // Every key of experiments/tests/testbed-faithfulness-sizes.yaml (pretrainings, pools over sizes, attacks, report) as
        // the tree without testbed.auxiliary_splits computed them (main 7500339 with paper-testbed's pretrain.length_groups 4:
        // branch speed at 9ba470b, `dslunlearn run testbed-faithfulness-sizes --dry-run`, first 12 hex digits; the evaluating
        // stages and the report again after rouge_l_recall's version 2, the trainings unchanged). A deliberate change to the engine's keys updates these.
        using var dir = new TempDir();
        var spec = ExperimentCatalog.Find("testbed-faithfulness-sizes")!.Spec;
        Assert.False(spec.Testbed!.AuxiliarySplits);
        var options = new RunOptions { OutputRoot = dir.Path };
        Assert.Equal(MainKeys, StagedExperimentRunner.Plan(spec, options).ToDictionary(s => s.Id, s => s.Key[..12]));
        var on = StagedExperimentRunner.Plan(spec with { Testbed = spec.Testbed with { AuxiliarySplits = true } }, options).ToDictionary(s => s.Id, s => s.Key[..12]);
        Assert.All(new[] { "pretrain/target", "pretrain/oracle", "pretrain/target@seed42-h64-i192", "finetune/oracle", "evaluate/target", "report" },
            id => Assert.NotEqual(MainKeys[id], on[id]));
    }

    private static readonly Dictionary<string, string> MainKeys = new()
    {
        ["init/model"] = "a50ca1572eaa",
        ["pretrain/target"] = "7914f2294253",
        ["pretrain/oracle"] = "fac05c58cc94",
        ["finetune/target"] = "e9d145c4d9a6",
        ["finetune/oracle"] = "26ac0ebbe487",
        ["evaluate/untrained"] = "68b8ba0f15fb",
        ["evaluate/target"] = "5fab9a985401",
        ["evaluate/oracle"] = "dcdc079b0f36",
        ["unlearn/ga"] = "3c66b5f0b683",
        ["evaluate/ga"] = "72e7db7190aa",
        ["attack/target/quantize-4bit"] = "bb7fce6211d8",
        ["attack/target/relearn"] = "3b44ebbd8469",
        ["attack/oracle/quantize-4bit"] = "f9977e05948b",
        ["attack/oracle/relearn"] = "d5a3054ba8aa",
        ["attack/ga/quantize-4bit"] = "24a5a6aa5f17",
        ["attack/ga/relearn"] = "371608243565",
        ["init/model@seed42-h64-i192"] = "c57dec3fe8f6",
        ["pretrain/target@seed42-h64-i192"] = "76092c5b5a7e",
        ["pretrain/oracle@seed42-h64-i192"] = "88df28a88c12",
        ["finetune/target@seed42-h64-i192"] = "8d4a75f4fe45",
        ["finetune/oracle@seed42-h64-i192"] = "c1670ee954d5",
        ["evaluate/target@seed42-h64-i192"] = "0fe18565014d",
        ["evaluate/oracle@seed42-h64-i192"] = "1409a0fae471",
        ["report"] = "485ef05759a2",
    };

    /// <summary>TOFU's real_authors / world_facts rows: the answer is the truth ratio's true answer, 4 distinct wrong
    /// values in the answer's own wording (about the same author or subject), no paraphrased question.</summary>
    private static void RowIsTofuShaped(QaExample r)
    {
        Assert.Null(r.ParaphrasedQuestion);
        Assert.Equal(r.Answer, r.ParaphrasedAnswer);
        Assert.Equal(BiographyWorld.PerturbedPerExample, r.PerturbedAnswers.Distinct().Count());
        Assert.DoesNotContain(r.Answer, r.PerturbedAnswers);
        string stem = r.Answer[..^(Value(r).Length + 1)]; // the wording the options share, before the value (values end the answer, then ".")
        Assert.Contains(r.Author, stem, StringComparison.Ordinal);
        Assert.Contains(r.Author, r.Question, StringComparison.Ordinal);
    }

    /// <summary>The value a row asks for: the answer's last words after its author or subject ends the shared wording.</summary>
    private static string Value(QaExample r)
    {
        // Every wrong answer shares the wording before the value; the longest common prefix ends where the values start.
        var all = r.PerturbedAnswers.Prepend(r.Answer).ToList();
        int n = 0;
        while (all.All(a => a.Length > n && a[n] == all[0][n])) n++;
        while (n > 0 && r.Answer[n - 1] != ' ') n--; // values that share a first letter
        return r.Answer[n..^1];
    }

    private static bool Matches(string doc, string template)
    {
        int s = template.IndexOf("{s}", StringComparison.Ordinal);
        return doc.Contains(template[..s], StringComparison.Ordinal) && doc.Contains(template[(s + 3)..], StringComparison.Ordinal);
    }

    private static ExperimentSpec UtilitySpec(string root) => TestSpecs.Tiny(root, epochs: 1) with
    {
        Name = "tiny-testbed-utility",
        Data = new DataSpec { Source = DataSource.Biographies, Authors = 5, QaPerAuthor = 5, ForgetAuthors = 1 },
        Testbed = BiographyWorldTests.Spec(attributes: 3, bios: 1, holdout: 1) with
        {
            AuxiliarySplits = true,
            Pretrain = new FinetuneSpec { Epochs = 1, Lr = 1e-3, BatchSize = 8, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 1 },
        },
        Model = TestSpecs.Tiny(root).Model with { HiddenSize = 32, IntermediateSize = 64, MaxSeqLen = 160 },
        Finetune = TestSpecs.Tiny(root).Finetune with { Epochs = 1, Oracle = true },
        Unlearn = [],
        Metrics =
        [
            new MetricSpec { Name = "retain_utility", Metric = new RetainUtilityMetric(new GenerationOptions()), Splits = [SplitKind.Retain] },
            new MetricSpec { Name = "model_utility", Metric = new ModelUtilityMetric(new GenerationOptions()), Splits = [SplitKind.Retain] },
        ],
    };
}
