using System.Runtime.CompilerServices;
using DslUnlearn.Attacks;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Text;

namespace DslUnlearn.Data.Testbed;

/// <summary>Everything a run on the biographies testbed needs before training: the world, its QA data, the tokenizer and the corpora.</summary>
/// <param name="Data">The QA splits; the holdout authors' pairs are its <see cref="QaDataset.Holdout"/>.</param>
public sealed record TestbedInputs(BiographyWorld World, QaDataset Data, ITokenizer Tokenizer,
    IReadOnlyList<string> Corpus, IReadOnlyList<string> OracleCorpus)
{
    // One build per spec: the data, the model source and the pretraining stages of a run all read the same inputs,
    // and the world, both corpora and the BPE tokenizer are deterministic in the spec, so sharing them changes nothing.
    private static readonly ConditionalWeakTable<ExperimentSpec, TestbedInputs> BySpec = new();

    /// <summary>The inputs of a spec with data.source biographies (an error naming the fix otherwise).</summary>
    public static TestbedInputs For(ExperimentSpec spec)
    {
        if (spec.Testbed is not { } t || spec.Data.Source != DataSource.Biographies)
            throw new InvalidOperationException($"{spec.SourceFile}: data.source biographies and the 'testbed:' section go together; add 'testbed: {{}}' or change data.source.");
        return BySpec.GetValue(spec, s => Create(s.Data.Authors, s.Data.ForgetAuthors, t, s.Prompt));
    }

    /// <param name="suffixShare">QA documents with neutral text after the question (TestbedCorpus.NeutralSuffixes); no spec key yet, testbed-check's <c>suffix=</c>.</param>
    /// <param name="bioContextShare">Biographies after a drawn context; no spec key yet, testbed-check's <c>bio_context=</c>.</param>
    /// <param name="circleSize">Literary circles whose members share a city and a genre (BiographyWorld.Generate); no spec key, testbed-check's <c>circle=</c>.</param>
    public static TestbedInputs Create(int authors, int forgetAuthors, TestbedSpec t, PromptSpec prompt, double suffixShare = 0, double bioContextShare = 0, int circleSize = 0)
    {
        var world = BiographyWorld.Generate(authors, forgetAuthors, t, circleSize);
        var corpus = TestbedCorpus.Documents(world, prompt, withForget: true, suffixShare, bioContextShare);
        var oracle = TestbedCorpus.Documents(world, prompt, withForget: false, suffixShare, bioContextShare);
        if (!t.AuxiliarySplits)
            return new TestbedInputs(world, TestbedData.ToQaDataset(world), CreateTokenizer(t, world, corpus, prompt), corpus, oracle);
        // Both bases learn the auxiliary knowledge (it is general knowledge, not the forget set's), after the documents they had.
        var aux = TestbedAuxiliary.Create(authors, forgetAuthors, t, prompt);
        var data = TestbedData.ToQaDataset(world) with { Auxiliary = aux.Splits };
        return new TestbedInputs(world, data, CreateTokenizer(t, world, corpus.Concat(aux.Texts), prompt), [.. corpus, .. aux.Documents], [.. oracle, .. aux.Documents]);
    }

    /// <summary>
    /// char, or bpe over every text the world can show a model: the corpus, every QA wording (holdout authors' too),
    /// the prompt tags, the shipped jailbreak templates and the token-noise filler, so no measured text falls back to characters.
    /// </summary>
    public static ITokenizer CreateTokenizer(TestbedSpec t, BiographyWorld world, IEnumerable<string> corpus, PromptSpec prompt) => t.Tokenizer switch
    {
        "char" => new CharTokenizer(),
        "bpe" => CorpusBpeTokenizer.Build(corpus
            .Concat(world.Qa.SelectMany(q => q).SelectMany(q => q.Questions.Concat([q.HeldOutQuestion, q.Answer, q.ParaphrasedAnswer]).Concat(q.PerturbedAnswers)))
            .Concat([prompt.QuestionTag, prompt.AnswerTag, "the"])
            .Concat(JailbreakTemplates.Builtin.Values)),
        _ => throw new ArgumentException($"testbed.tokenizer '{t.Tokenizer}' is unknown; use char or bpe.", nameof(t)),
    };

    /// <summary>A corpus document as a training row: BOS + text + EOS with the loss on every token (PromptLength 1).</summary>
    public static EncodedQa[] EncodeDocuments(IEnumerable<string> docs, ITokenizer tokenizer) => docs.Select(d =>
    {
        var body = tokenizer.Encode(d);
        var ids = new int[body.Length + 2];
        ids[0] = tokenizer.BosId ?? tokenizer.EosId;
        body.CopyTo(ids, 1);
        ids[^1] = tokenizer.EosId;
        return new EncodedQa(ids, 1, body.Length);
    }).ToArray();
}
