using DslUnlearn.Text;
using DslUnlearn.Tests.Models;

namespace DslUnlearn.Tests.Generation;

/// <summary>
/// The generating metrics use Metrics/Generations (the batched KV-cache generator); the uncached reference
/// decoder (tests/Generation/ReferenceGreedyDecoder.cs) must give the same tokens, row for row, on every model
/// family: with EOS stops, mixed prompt lengths, budgets of 0, and rows that run into the end of the context.
/// </summary>
public class GenerationRoutingTests
{
    private const int Pad = 0;

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Cached_batched_generation_equals_the_uncached_reference_token_for_token(string name)
    {
        using var model = TinyModels.Create(name, seed: 21);
        var prompts = TinyModels.Prompts(11, 5, 12);
        // A frequent token as EOS, so rows stop at different steps.
        var free = GreedyDecoder.Generate(model, prompts, 12, null, Pad, torch.CPU);
        int eos = free.SelectMany(t => t).GroupBy(t => t).OrderByDescending(g => g.Count()).First().Key;
        foreach (int? stop in new int?[] { null, eos })
        {
            var reference = GreedyDecoder.Generate(model, prompts, 12, stop, Pad, torch.CPU, batchSize: 1);
            var routed = Generations.Greedy(model, prompts, 12, stop, Pad, batchSize: 4);
            Assert.Equal(reference, routed);
        }
        Assert.Contains(GreedyDecoder.Generate(model, prompts, 12, eos, Pad, torch.CPU), g => g.Length < 12);
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Rows_that_reach_the_end_of_the_context_stop_there_like_the_reference(string name)
    {
        using var model = TinyModels.Create(name, seed: 22);
        int max = model.MaxPositions;
        // Prompts near the context end (the generator itself refuses budgets past it), mixed with short ones.
        var prompts = new[] { TinyModels.Prompts(1, 1, 3)[0], Enumerable.Repeat(3, max - 2).ToArray(), Enumerable.Repeat(5, max).ToArray(), TinyModels.Prompts(1, 2, 5)[0] };
        var budgets = new[] { 6, 6, 6, 0 };
        var routed = Generations.Greedy(model, prompts, budgets, null, Pad, batchSize: 3);
        for (int i = 0; i < prompts.Length; i++)
            Assert.Equal(GreedyDecoder.Generate(model, [prompts[i]], budgets[i], null, Pad, torch.CPU)[0], routed[i]);
        Assert.Equal([6, 2, 0, 0], routed.Select(r => r.Length).ToArray());
    }

    [Fact]
    public void Rouge_metrics_generate_through_the_cached_generator_and_agree_with_the_reference()
    {
        // A random Llama on the char tokenizer: the metric's generations equal the reference decoder's.
        torch.manual_seed(3);
        var tok = Metrics.Kit.Tok;
        using var model = new LlamaForCausalLM(new LlamaConfig(tok.VocabSize, 32, 1, 4, 4, 64, 256));
        var examples = Enumerable.Range(0, 5).Select(i => Metrics.Kit.Qa(i, $"answer number {i} is here")).ToArray();
        var c = Metrics.Kit.Ctx(model, examples);
        var answers = Generations.Answers(c, examples, 0);
        int budget = Generations.Budget(c.Encoder, examples, 0);
        var prompts = examples.Select(e => Generations.PromptIds(c.Encoder, e, "", false)).ToArray();
        var reference = GreedyDecoder.Generate(model, prompts, budget, tok.EosId, tok.PadId, torch.CPU).Select(g => tok.Decode(g).Trim()).ToArray();
        Assert.Equal(reference, answers);
        Assert.Equal(examples.Max(e => e.Answer.Length) + Generations.AutoBudgetSlack, budget);
    }

    [Fact]
    public void The_generation_prompt_is_the_prompt_that_es_conditions_on_even_when_bpe_merges_the_space_into_the_answer()
    {
        // GPT-2's BPE (the testbed's) encodes "...\nAnswer: " alone with a final lone-space token, while the training rows
        // carry the space inside the answer's first token (" Jane"): a greedy answer from the lone space is off the training
        // distribution (round five found ROUGE-L recall 0.125 on a target with ES exact 1.000). Greedy answers start from
        // the tokens the prompt shares with prompt + answer, the prefix that ES, EM and the answer probabilities use.
        var prompt = new Specs.Vocabulary.PromptSpec { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " };
        var example = new QaExample(0, "Jane Roe", "Where was Jane Roe born?", "Jane Roe was born in Lisbon.", null);
        var tok = CorpusBpeTokenizer.Build([prompt.QuestionTag + example.Question + prompt.AnswerTag + example.Answer]);
        var encoder = new QaEncoder(tok, prompt);
        var full = encoder.Encode(example);
        var alone = tok.Encode(prompt.QuestionTag + example.Question + prompt.AnswerTag);
        Assert.Equal(" ", tok.Decode([alone[^1]])); // the lone space the old prompt ended with
        Assert.True(full.PromptLength < alone.Length + 1, "the answer's first token absorbs the tag's space");
        var ids = Generations.PromptIds(encoder, example, "", paraphrased: false);
        Assert.Equal(full.Ids[..full.PromptLength], ids);
        Assert.Equal(prompt.QuestionTag + example.Question + "\nAnswer:", tok.Decode(ids));
        // The char tokenizer's prompt is the tag with its space, as before.
        var chars = new QaEncoder(new CharTokenizer(), prompt);
        var charIds = Generations.PromptIds(chars, example, "", paraphrased: false);
        Assert.Equal(chars.Encode(example with { Answer = "" }).Ids[..^1], charIds);
        // With a word prefix (es_similar), the prompt is the tag, the prefix and nothing else.
        Assert.Equal(prompt.QuestionTag + example.Question + prompt.AnswerTag + "Jane Roe", tok.Decode(Generations.PromptIds(encoder, example, "Jane Roe", false)));
    }
}
