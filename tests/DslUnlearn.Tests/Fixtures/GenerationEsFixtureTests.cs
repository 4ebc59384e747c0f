using DslUnlearn.Tests.Metrics;

namespace DslUnlearn.Tests.Fixtures;

/// <summary>
/// tests/fixtures/generation_es: es_bisection (token bisection, UWC's search) and es_similar (the paper's scoring,
/// UWC's scoring) on a character bigram model, against a Python script that implements UWC's procedures literally.
/// </summary>
public class GenerationEsFixtureTests
{
    [Fact]
    public void Generation_based_es_equals_the_reference_procedures_exactly()
    {
        var f = Golden.Load("generation_es/generation_es.json");
        Golden.AssertVersions(f);
        Assert.Equal(Kit.Encoder.Prompt.QuestionTag, f.GetProperty("question_tag").GetString());
        Assert.Equal(Kit.Encoder.Prompt.AnswerTag, f.GetProperty("answer_tag").GetString());
        using var model = Golden.Bigram(f.GetProperty("W"));
        var cases = f.GetProperty("cases").EnumerateArray().ToArray();
        var examples = Golden.Examples(cases);
        var ctx = Kit.Ctx(model, examples);
        double[] Values(IMetric m) => m.Compute(ctx).ValueByIndex!.ToArray();
        double[] Expected(string key) => cases.Select(c => c.GetProperty(key).GetDouble()).ToArray();

        Assert.Equal(Expected("es_token"), Values(new EsBisectionMetric(new EsBisectionOptions())));
        Assert.Equal(Expected("es_token"), Values(new EsExactMetric(new NoOptions())));
        Assert.Equal(Expected("es_uwc"), Values(new EsBisectionMetric(new EsBisectionOptions { Procedure = "uwc" })));
        Assert.Equal(Expected("es_similar_answer_recall"), Values(new EsSimilarMetric(new EsSimilarOptions())));
        Assert.Equal(Expected("es_similar_uwc"), Values(new EsSimilarMetric(new EsSimilarOptions { Scoring = "uwc" })));
        Assert.Equal(Expected("es_similar_answer_recall_0.9"), Values(new EsSimilarMetric(new EsSimilarOptions { Threshold = 0.9 })));
        Assert.Throws<ArgumentException>(() => new EsBisectionMetric(new EsBisectionOptions { Procedure = "official" }));
        Assert.Throws<ArgumentException>(() => new EsSimilarMetric(new EsSimilarOptions { Scoring = "rouge" }));
    }

    [Fact]
    public void The_automatic_rouge_budget_never_cuts_a_reference_answer()
    {
        // Under the char tokenizer a TOFU answer is its character count; the old fixed 128 cut longer answers.
        var tofuLength = new QaExample(0, "a", "Who?", new string('x', 300), "Who?");
        Assert.True(Generations.Budget(Kit.Encoder, [tofuLength], 0) >= 300 + 1);
        Assert.Equal(40, Generations.Budget(Kit.Encoder, [tofuLength], 40));
    }
}
