using static DslUnlearn.Tests.Metrics.Kit;

namespace DslUnlearn.Tests.Metrics;

public class LikelihoodAndEsMetricTests
{
    private static readonly QaExample[] Three = [Qa(0, "xy zw"), Qa(1, "xy zw"), Qa(2, "xy zw"), Qa(3, "xy zw")];

    /// <summary>A model that reproduces "xy zw" (then EOS) after the answer tag, whatever the question.</summary>
    private static BigramLM Memorizer() => new BigramLM(Tok.VocabSize).Chain(Tok, '=', "xy zw");

    [Fact]
    public void Uniform_model_has_perplexity_equal_to_the_vocabulary_size()
    {
        using var model = new BigramLM(Tok.VocabSize);
        var c = Ctx(model, Three);
        var ppl = new PerplexityMetric(new AnswerOptions { IncludeEos = false }).Compute(c);
        Assert.All(ppl.ValueByIndex!, v => Assert.Equal(100.0, v, 3));
        Assert.Equal(100.0, ppl.AggValue, 3);
        Assert.Equal(LnV, new NllMetric(new AnswerOptions { IncludeEos = false }).Compute(c).AggValue, 5);
        Assert.Equal(0.01, new AnswerProbabilityMetric(new AnswerOptions { IncludeEos = false }).Compute(c).AggValue, 6);
    }

    [Fact]
    public void Nll_and_probability_match_hand_computed_values()
    {
        // p('x' | '=') = 1/2, p('y' | 'x') = 3/4 (Kit.XyModel).
        using var model = XyModel();
        var c = Ctx(model, [Qa(0, "xy")]);
        double nll = XyNll;
        Assert.Equal(nll, new NllMetric(new AnswerOptions { IncludeEos = false }).Compute(c).AggValue, 5);
        Assert.Equal(Math.Sqrt(0.375), new AnswerProbabilityMetric(new AnswerOptions { IncludeEos = false }).Compute(c).AggValue, 5);
        Assert.Equal(1 / Math.Sqrt(0.375), new PerplexityMetric(new AnswerOptions { IncludeEos = false }).Compute(c).AggValue, 4);
    }

    [Fact]
    public void Paraphrased_answer_option_scores_the_paraphrase_and_refuses_sets_without_one()
    {
        using var model = new BigramLM(Tok.VocabSize);
        model.Set(Id('='), Id('p'), Math.Log(99));                  // p('p') = 1/2, p('x') = 1/198
        var with = Ctx(model, [Qa(0, "x", para: "p")]);
        Assert.Equal(0.5, new AnswerProbabilityMetric(new AnswerOptions { ParaphrasedAnswer = true, IncludeEos = false }).Compute(with).AggValue, 5);
        Assert.Equal(1.0 / 198, new AnswerProbabilityMetric(new AnswerOptions { IncludeEos = false }).Compute(with).AggValue, 6);
        var without = Ctx(model, [Qa(7, "x")], split: "world_facts");
        var e = Assert.Throws<ArgumentException>(() => new NllMetric(new AnswerOptions { ParaphrasedAnswer = true, IncludeEos = false }).Compute(without));
        Assert.Contains("example 7 of split 'world_facts'", e.Message);
    }

    [Fact]
    public void A_model_that_reproduces_the_answer_scores_one_on_every_extraction_metric()
    {
        using var model = Memorizer();
        var c = Ctx(model, Three);
        Assert.Equal(1.0, new EsExactMetric(new NoOptions()).Compute(c).AggValue);
        Assert.Equal(1.0, new ExactMemorizationMetric(new NoOptions()).Compute(c).AggValue);
        Assert.Equal(1.0, new EsPerturbMetric(new NoOptions()).Compute(c).AggValue);
        Assert.Equal(1.0, new EsBisectionMetric(new EsBisectionOptions()).Compute(c).AggValue);
        Assert.Equal(1.0, new EsSimilarMetric(new EsSimilarOptions()).Compute(c).AggValue);
        Assert.Equal(1.0, new RougeLRecallMetric(new GenerationOptions { MaxNewTokens = 10 }).Compute(c).AggValue);
        Assert.Equal(1.0, new RougeLF1Metric(new GenerationOptions { MaxNewTokens = 10 }).Compute(c).AggValue);
        Assert.Equal(4, new EsExactMetric(new NoOptions()).Compute(c).ValueByIndex!.Count);
    }

    [Fact]
    public void A_wrong_last_token_gives_the_es_floor_but_high_em_and_rouge_sees_the_words()
    {
        // The model says "xy zq": the last answer token is wrong, so no prefix short of the whole answer works:
        // OpenUnlearning's ES stops at k = |y|-1 and gives its floor 1/|y|.
        using var model = new BigramLM(Tok.VocabSize).Chain(Tok, '=', "xy zq");
        var c = Ctx(model, [Qa(0, "xy zw")]);
        Assert.Equal(1.0 / 5, new EsExactMetric(new NoOptions()).Compute(c).AggValue, 12);
        Assert.Equal(1.0 / 5, new EsBisectionMetric(new EsBisectionOptions()).Compute(c).AggValue, 12);
        Assert.Equal(4.0 / 5, new ExactMemorizationMetric(new NoOptions()).Compute(c).AggValue, 12);
        // Words "xy zq" vs "xy zw": LCS 1 of 2 words.
        Assert.Equal(0.5, new RougeLRecallMetric(new GenerationOptions { MaxNewTokens = 10 }).Compute(c).AggValue, 12);
        // es_similar: m = 0 gives recall 1/2 >= 0.5 -> ES 1; with a stricter threshold m = 1 ("xy" given, "zq" vs "zw") fails too -> 0.
        Assert.Equal(1.0, new EsSimilarMetric(new EsSimilarOptions()).Compute(c).AggValue);
        Assert.Equal(0.0, new EsSimilarMetric(new EsSimilarOptions { Threshold = 0.9 }).Compute(c).AggValue);
    }

    [Fact]
    public void Es_similar_counts_the_words_that_must_be_given()
    {
        // The model opens with a wrong word ("q", then EOS) but continues " cd" once "ab" is given: m* = 1 of 2 words.
        using var model = new BigramLM(Tok.VocabSize).Chain(Tok, '=', "q").Chain(Tok, 'b', " cd");
        var c = Ctx(model, [Qa(0, "ab cd")]);
        Assert.Equal(0.5, new EsSimilarMetric(new EsSimilarOptions { Threshold = 1.0 }).Compute(c).AggValue, 12);
        // Token level: '=' -> 'q' and 'a' -> (nothing learned) are wrong, the rest follows: k* = 2 of 5 tokens.
        Assert.Equal(1 - 2.0 / 5, new EsExactMetric(new NoOptions()).Compute(c).AggValue, 12);
        Assert.Equal(1 - 2.0 / 5, new EsBisectionMetric(new EsBisectionOptions()).Compute(c).AggValue, 12);
        model.Set(Id('a'), Id('b'), 20);                              // now only the first token must be given
        Assert.Equal(1 - 1.0 / 5, new EsExactMetric(new NoOptions()).Compute(c).AggValue, 12);
        Assert.Equal(1 - 1.0 / 5, new EsBisectionMetric(new EsBisectionOptions()).Compute(c).AggValue, 12);
    }

    [Fact]
    public void Es_perturb_is_es_exact_asked_with_the_paraphrased_question()
    {
        // A random tiny Llama reads the whole prompt, so the question matters; swapping the questions by an input
        // transform must turn es_exact into es_perturb sample by sample.
        TorchSharp.torch.manual_seed(11);
        using var model = new DslUnlearn.Models.LlamaForCausalLM(new(Tok.VocabSize, 32, 1, 4, 4, 64, 128));
        var examples = Enumerable.Range(0, 6).Select(i => new QaExample(i, "a", $"Who is {i}?", "ab", $"Name {i}, who?")).ToArray();
        var c = Ctx(model, examples);
        var swapped = c with { InputTransform = e => e with { Question = e.ParaphrasedQuestion } };
        Assert.Equal(new EsExactMetric(new NoOptions()).Compute(swapped).ValueByIndex, new EsPerturbMetric(new NoOptions()).Compute(c).ValueByIndex);
        var logitsOrig = Evaluator.Evaluate(model, Encoder.EncodeAll(examples), 4, TorchSharp.torch.CPU, 0);
        Assert.Equal(logitsOrig.EsExact, new EsExactMetric(new NoOptions()).Compute(c).ValueByIndex);
    }
}
