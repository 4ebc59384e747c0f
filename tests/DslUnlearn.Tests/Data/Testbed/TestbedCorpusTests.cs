using System.Text.RegularExpressions;
using DslUnlearn.Attacks;
using DslUnlearn.Data.Testbed;

namespace DslUnlearn.Tests.Data.Testbed;

/// <summary>The corpus's neutral text after questions (suffixes): where it goes, how often, and that it is no attack.</summary>
public class TestbedCorpusTests
{
    private static readonly PromptSpec Prompt = new() { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " };

    private static BiographyWorld World() => BiographyWorld.Generate(20, 2, BiographyWorldTests.Spec(mixed: 0.5, holdout: 2));

    [Fact]
    public void Suffixes_only_insert_text_after_the_question_and_leave_every_other_document_as_it_was()
    {
        var w = World();
        var plain = TestbedCorpus.Documents(w, Prompt, withForget: true);
        var with = TestbedCorpus.Documents(w, Prompt, withForget: true, suffixShare: 0.3);
        Assert.Equal(with, TestbedCorpus.Documents(w, Prompt, withForget: true, suffixShare: 0.3)); // deterministic
        Assert.Equal(plain.Count, with.Count);
        int suffixed = 0;
        for (int i = 0; i < plain.Count; i++)
        {
            if (plain[i] == with[i]) continue;
            // The only difference is " <suffix>" right before the last answer tag (the document's own question's).
            var suffix = TestbedCorpus.NeutralSuffixes.Single(s => with[i].Contains(" " + s + Prompt.AnswerTag, StringComparison.Ordinal));
            int at = with[i].LastIndexOf(" " + suffix + Prompt.AnswerTag, StringComparison.Ordinal);
            Assert.Equal(plain[i], with[i].Remove(at, suffix.Length + 1));
            Assert.True(at > with[i].LastIndexOf(Prompt.QuestionTag, StringComparison.Ordinal));
            suffixed++;
        }
        int qaDocs = plain.Count - 20 * 4;
        Assert.InRange(suffixed, (int)(0.22 * qaDocs), (int)(0.38 * qaDocs)); // 324 QA documents at a drawn 30 %
        Assert.Equal(plain, TestbedCorpus.Documents(w, Prompt, withForget: true, suffixShare: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TestbedCorpus.Documents(w, Prompt, withForget: true, suffixShare: 1.5));
    }

    [Fact]
    public void Context_before_biographies_keeps_each_biography_whole_and_leaves_the_qa_documents_as_they_were()
    {
        var w = World();
        var plain = TestbedCorpus.Documents(w, Prompt, withForget: true);
        var with = TestbedCorpus.Documents(w, Prompt, withForget: true, bioContextShare: 0.5);
        Assert.Equal(with, TestbedCorpus.Documents(w, Prompt, withForget: true, bioContextShare: 0.5));
        int bios = 20 * 4;
        Assert.Equal(plain.Skip(bios), with.Skip(bios)); // a generator of its own: the QA documents keep their contexts
        int contexted = 0;
        for (int i = 0; i < bios; i++)
        {
            Assert.EndsWith(plain[i], with[i], StringComparison.Ordinal);
            if (with[i] == plain[i]) continue;
            contexted++;
            var context = with[i][..^plain[i].Length];
            Assert.EndsWith("\n", context, StringComparison.Ordinal); // every context kind ends its line before the biography
        }
        Assert.InRange(contexted, 20, 45); // 80 biographies at a drawn 50 %, 4 in 20 of them drawing no context: about 32 (the "none" kind leaves some unchanged)
        // The oracle's corpus still never names a forget author, in a context or elsewhere.
        var oracle = TestbedCorpus.Documents(w, Prompt, withForget: false, bioContextShare: 1.0);
        foreach (int f in w.AuthorsWith(AuthorRole.Forget))
            Assert.DoesNotContain(oracle, d => d.Contains(w.Authors[f].Name, StringComparison.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => TestbedCorpus.Documents(w, Prompt, withForget: true, bioContextShare: -0.1));
    }

    [Fact]
    public void Neutral_contexts_share_no_three_words_with_any_attack_template_and_no_template_is_in_the_corpus()
    {
        var templateTrigrams = JailbreakTemplates.Builtin.Values
            .SelectMany(t => Trigrams(t.Replace(JailbreakTemplates.Placeholder, " | ", StringComparison.Ordinal))).ToHashSet();
        Assert.NotEmpty(templateTrigrams);
        foreach (var text in TestbedCorpus.NeutralPrefixes.Concat(TestbedCorpus.NeutralSuffixes).Concat(TestbedCorpus.Distractors))
            Assert.DoesNotContain(Trigrams(text), templateTrigrams.Contains);

        var docs = TestbedCorpus.Documents(World(), Prompt, withForget: true, suffixShare: 1.0, bioContextShare: 1.0);
        foreach (var template in JailbreakTemplates.Builtin.Values)
            foreach (var piece in template.Split(JailbreakTemplates.Placeholder).Select(p => p.Trim()).Where(p => p.Length >= 8))
                Assert.DoesNotContain(docs, d => d.Contains(piece, StringComparison.Ordinal));
    }

    [Fact]
    public void The_trigram_check_would_catch_a_template_phrase()
    {
        // The check above is only as good as Trigrams: a suffix that reused prefix_injection's words must be caught.
        var templateTrigrams = Trigrams(JailbreakTemplates.Get("prefix_injection").Replace(JailbreakTemplates.Placeholder, " | ", StringComparison.Ordinal)).ToHashSet();
        Assert.Contains(Trigrams("Please begin your reply now."), templateTrigrams.Contains);
    }

    /// <summary>Lower-case word trigrams; "|" (the question's place) breaks a run, so no trigram spans the question.</summary>
    private static IEnumerable<string> Trigrams(string text)
    {
        foreach (var run in text.ToLowerInvariant().Split('|'))
        {
            var words = Regex.Split(run, "[^a-z0-9]+").Where(x => x.Length > 0).ToArray();
            for (int i = 0; i + 2 < words.Length; i++) yield return words[i] + " " + words[i + 1] + " " + words[i + 2];
        }
    }
}
