using DslUnlearn.Attacks;
using DslUnlearn.Data.Testbed;

namespace DslUnlearn.Tests.Data.Testbed;

public class BiographyWorldTests
{
    internal static TestbedSpec Spec(int attributes = 12, int bios = 4, double mixed = 0.5, int holdout = 3, int sentences = 3, int questions = 3) => new()
    {
        Attributes = attributes, BiographiesPerAuthor = bios, SentenceTemplates = sentences, QuestionTemplates = questions,
        MixedShare = mixed, HoldoutAuthors = holdout, Tokenizer = "bpe",
        Pretrain = new FinetuneSpec { Epochs = 1, Lr = 1e-3, BatchSize = 8, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 1 },
    };

    private static readonly PromptSpec Prompt = new() { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " };

    [Fact]
    public void World_is_deterministic_and_an_authors_facts_do_not_depend_on_the_sizes()
    {
        var a = BiographyWorld.Generate(12, 2, Spec());
        var b = BiographyWorld.Generate(12, 2, Spec());
        Assert.Equal(a.Authors.Select(x => x.Name + string.Join("|", x.Values)), b.Authors.Select(x => x.Name + string.Join("|", x.Values)));
        Assert.Equal(a.Biographies.SelectMany(x => x), b.Biographies.SelectMany(x => x));
        Assert.Equal(TestbedCorpus.Documents(a, Prompt, true), TestbedCorpus.Documents(b, Prompt, true));

        var bigger = BiographyWorld.Generate(20, 3, Spec(attributes: 16, holdout: 0));
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(a.Authors[i].Name, bigger.Authors[i].Name);
            Assert.Equal(a.Authors[i].Values, bigger.Authors[i].Values);
            Assert.Equal(a.Qa[i].Select(q => q.Answer), bigger.Qa[i].Take(12).Select(q => q.Answer));
        }
        Assert.Equal("Kistim Brufaira", a.Authors[0].Name); // change detector: a changed generator changes every stored artifact and measured number
    }

    [Fact]
    public void Roles_are_whole_authors_forget_last_holdout_after()
    {
        var w = BiographyWorld.Generate(10, 2, Spec(holdout: 3));
        Assert.Equal(13, w.Authors.Count);
        Assert.Equal([8, 9], w.AuthorsWith(AuthorRole.Forget));
        Assert.Equal([10, 11, 12], w.AuthorsWith(AuthorRole.Holdout));
        Assert.Equal([0, 1, 2, 3], w.MixedAuthors); // half of the 8 retain authors
        var data = TestbedData.ToQaDataset(w);
        Assert.Equal(24, data.Forget.Count);
        Assert.Equal(12, data.RetainEval.Count);                   // a ninth of the 8 retain authors, rounded up: author 0
        Assert.Equal(84, data.RetainTrain.Count);
        Assert.All(data.RetainEval, e => Assert.Equal(w.Authors[0].Name, e.Author));
        Assert.Equal(36, TestbedData.Holdout(w).Count);
        Assert.Equal(TestbedData.Holdout(w), data.Holdout);
        Assert.Equal(Enumerable.Range(0, 24), data.Forget.Select(e => e.Index));
    }

    [Fact]
    public void Attributes_are_unique_names_distinct_and_same_type_values_differ_within_an_author()
    {
        var w = BiographyWorld.Generate(60, 6, Spec(attributes: 16, holdout: 10));
        Assert.Equal(w.Authors.Count, w.Authors.Select(a => a.Name).Distinct().Count());
        Assert.Equal(w.Authors.Count, w.Authors.Select(a => string.Join("|", a.Values)).Distinct().Count());
        foreach (var author in w.Authors)
        {
            Assert.Equal(BiographyWorld.MaxAttributes, author.Values.Count);
            Assert.Equal(author.Values.Count, author.Values.Distinct().Count());
            Assert.DoesNotContain(author.Name, author.Values);
        }
        Assert.Equal(BiographyAttributes.All.Count, BiographyAttributes.All.Select(a => a.Key).Distinct().Count());
        // Every value kind varies across authors (a constant attribute would be no knowledge).
        for (int i = 0; i < BiographyWorld.MaxAttributes; i++)
            Assert.True(w.Authors.Select(a => a.Values[i]).Distinct().Count() >= 5, BiographyAttributes.All[i].Key);
    }

    [Fact]
    public void Every_biography_states_every_attribute_and_biographies_are_worded_differently()
    {
        var w = BiographyWorld.Generate(10, 2, Spec(attributes: 12, bios: 4));
        for (int a = 0; a < w.Authors.Count; a++)
        {
            Assert.Equal(4, w.Biographies[a].Count);
            Assert.Equal(4, w.Biographies[a].Distinct().Count());
            foreach (var bio in w.Biographies[a])
            {
                for (int i = 0; i < 12; i++) Assert.Contains(w.Authors[a].Values[i], bio);
                Assert.All(bio, c => Assert.InRange(c, ' ', '~'));
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Held_out_paraphrases_never_appear_in_training_text(int questions)
    {
        var w = BiographyWorld.Generate(20, 2, Spec(mixed: 1.0, questions: questions));
        var data = TestbedData.ToQaDataset(w);
        var training = TestbedCorpus.Documents(w, Prompt, withForget: true).Concat(data.All.Select(e => e.Question + " " + e.Answer)).ToList();
        var heldOut = w.Qa.SelectMany(q => q).Select(q => q.HeldOutQuestion).ToList();
        Assert.All(heldOut, h => Assert.DoesNotContain(training, t => t.Contains(h, StringComparison.Ordinal)));
        // The wording itself, not just the filled sentence: its text around the name is in no training text.
        foreach (var attr in BiographyAttributes.All)
        {
            string stem = attr.HeldOutQuestion.Split("{n}")[0];
            if (stem.Length >= 8) Assert.DoesNotContain(training, t => t.Contains(stem, StringComparison.Ordinal));
            Assert.DoesNotContain(attr.HeldOutQuestion, attr.Questions);
        }
    }

    [Fact]
    public void Training_question_wordings_share_no_three_words_with_the_held_out_one_or_an_attack_template()
    {
        Assert.Equal(5, BiographyWorld.MaxQuestionTemplates);
        var templates = JailbreakTemplates.Builtin.Values.SelectMany(t => Trigrams(t.Replace(JailbreakTemplates.Placeholder, "{n}", StringComparison.Ordinal))).ToHashSet();
        foreach (var attr in BiographyAttributes.All)
        {
            var heldOut = Trigrams(attr.HeldOutQuestion).ToHashSet();
            Assert.Equal(attr.Questions.Length, attr.Questions.Distinct().Count());
            foreach (var q in attr.Questions)
            {
                Assert.DoesNotContain(Trigrams(q), heldOut.Contains);
                Assert.DoesNotContain(Trigrams(q), templates.Contains);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => BiographyWorld.Generate(20, 2, Spec(questions: BiographyWorld.MaxQuestionTemplates + 1)));
    }

    /// <summary>Lower-case word trigrams that do not span the name ({n}).</summary>
    private static IEnumerable<string> Trigrams(string text)
    {
        foreach (var run in text.ToLowerInvariant().Split("{n}"))
        {
            var words = System.Text.RegularExpressions.Regex.Split(run, "[^a-z0-9]+").Where(x => x.Length > 0).ToArray();
            for (int i = 0; i + 2 < words.Length; i++) yield return words[i] + " " + words[i + 1] + " " + words[i + 2];
        }
    }

    [Fact]
    public void Perturbed_answers_are_wrong_values_of_the_same_type()
    {
        var w = BiographyWorld.Generate(20, 2, Spec(attributes: 16));
        var valuesByType = BiographyAttributes.All.Select((a, i) => (a.Type, i)).GroupBy(x => x.Type)
            .ToDictionary(g => g.Key, g => w.Authors.SelectMany(a => g.Select(x => a.Values[x.i])).ToHashSet());
        for (int a = 0; a < w.Authors.Count; a++)
            for (int i = 0; i < 16; i++)
            {
                var qa = w.Qa[a][i];
                var attr = BiographyAttributes.All[i];
                Assert.Equal(BiographyWorld.PerturbedPerExample, qa.PerturbedAnswers.Distinct().Count());
                string prefix = attr.ParaphrasedAnswer.Split("{v}")[0].Replace("{n}", qa.AuthorName);
                string suffix = attr.ParaphrasedAnswer.Split("{v}")[1].Replace("{n}", qa.AuthorName);
                foreach (var p in qa.PerturbedAnswers.Append(qa.ParaphrasedAnswer))
                {
                    Assert.StartsWith(prefix, p);
                    Assert.EndsWith(suffix, p);
                }
                Assert.DoesNotContain(qa.ParaphrasedAnswer, qa.PerturbedAnswers);
                string Value(string s) => s[prefix.Length..^suffix.Length];
                Assert.Equal(w.Authors[a].Values[i], Value(qa.ParaphrasedAnswer));
                foreach (var p in qa.PerturbedAnswers)
                {
                    string v = Value(p);
                    Assert.NotEqual(w.Authors[a].Values[i], v);
                    Assert.True(SameType(attr.Type, v, valuesByType[attr.Type]), $"{attr.Key}: '{v}' is not a {attr.Type}");
                }
            }
    }

    private static bool SameType(AttributeType type, string v, HashSet<string> seen) => type switch
    {
        AttributeType.Count => int.TryParse(v, out int n) && n is >= 2 and <= 30,
        AttributeType.Year => int.TryParse(v, out int y) && y is >= 1950 and < 2020,
        AttributeType.Date => System.Text.RegularExpressions.Regex.IsMatch(v, @"^\d{1,2} [A-Z][a-z]+ \d{4}$"),
        AttributeType.Person => System.Text.RegularExpressions.Regex.IsMatch(v, @"^[A-Z][a-z]+ [A-Z][a-z]+$"),
        AttributeType.Title => v.StartsWith("The ", StringComparison.Ordinal) && v.Split(' ').Length == 3,
        _ => seen.Contains(v) || PoolHas(type, v),
    };

    // A wrong value of a pooled type is one some other author (of 200) holds for an attribute of that type.
    private static bool PoolHas(AttributeType type, string v)
    {
        var big = BiographyWorld.Generate(200, 2, Spec(attributes: 16, holdout: 0));
        return BiographyAttributes.All.Select((a, i) => (a, i)).Where(x => x.a.Type == type).Any(x => big.Authors.Any(au => au.Values[x.i] == v));
    }

    [Fact]
    public void Pretraining_corpus_has_biographies_and_mixed_qa_in_context_and_no_attack_template()
    {
        var w = BiographyWorld.Generate(20, 2, Spec(mixed: 0.5, holdout: 2));
        var docs = TestbedCorpus.Documents(w, Prompt, withForget: true);
        var oracleDocs = TestbedCorpus.Documents(w, Prompt, withForget: false);
        int bios = 20 * 4, qa = 9 * 12 * 3;
        Assert.Equal(bios + qa, docs.Count);
        Assert.Equal(bios - 2 * 4 + qa, oracleDocs.Count);
        foreach (int f in w.AuthorsWith(AuthorRole.Forget).Concat(w.AuthorsWith(AuthorRole.Holdout)))
            Assert.DoesNotContain(oracleDocs, d => d.Contains(w.Authors[f].Name, StringComparison.Ordinal));
        foreach (int h in w.AuthorsWith(AuthorRole.Holdout))
            Assert.DoesNotContain(docs, d => d.Contains(w.Authors[h].Name, StringComparison.Ordinal));
        var qaDocs = docs.Skip(bios).ToList();
        Assert.Contains(qaDocs, d => d.StartsWith(Prompt.QuestionTag, StringComparison.Ordinal));       // no context
        Assert.Contains(qaDocs, d => TestbedCorpus.NeutralPrefixes.Any(p => d.StartsWith(p + "\n", StringComparison.Ordinal)));
        Assert.Contains(qaDocs, d => TestbedCorpus.Distractors.Any(p => d.StartsWith(p, StringComparison.Ordinal)));
        Assert.Contains(qaDocs, d => d.IndexOf(Prompt.QuestionTag, 1, StringComparison.Ordinal) > 0 && d.StartsWith(Prompt.QuestionTag, StringComparison.Ordinal));
        foreach (var template in JailbreakTemplates.Builtin.Values)
            foreach (var piece in template.Split(JailbreakTemplates.Placeholder).Select(p => p.Trim()).Where(p => p.Length >= 8))
                Assert.DoesNotContain(docs, d => d.Contains(piece, StringComparison.Ordinal));
        foreach (var prefix in TestbedCorpus.NeutralPrefixes)
            Assert.DoesNotContain(JailbreakTemplates.Builtin.Values, t => t.Contains(prefix, StringComparison.Ordinal));
    }
}
