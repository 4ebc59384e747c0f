using DslUnlearn.Text;
using TorchSharp.Modules;

namespace DslUnlearn.Tests.Metrics;

/// <summary>
/// Scripted test double: the next-token logits depend only on the current token, logits[b, t] = W[ids[b, t]].
/// W is a real parameter, so every metric (gradient ones included) runs on it, and values are hand-computable.
/// </summary>
internal sealed class BigramLM : nn.Module<Tensor, Tensor>, ICausalLM
{
    private readonly Parameter weight;

    public BigramLM(int vocab) : base(nameof(BigramLM))
    {
        weight = new Parameter(torch.zeros(vocab, vocab));
        VocabSize = vocab;
        RegisterComponents();
    }

    /// <summary>Sets the logit of <paramref name="next"/> after <paramref name="current"/>.</summary>
    public BigramLM Set(int current, int next, double logit)
    {
        using (torch.no_grad()) weight[current, next] = torch.tensor((float)logit);
        return this;
    }

    /// <summary>Makes the model continue <paramref name="text"/> (after <paramref name="start"/>) with logit <paramref name="logit"/> per step, ending with EOS.</summary>
    public BigramLM Chain(ITokenizer tok, char start, string text, double logit = 20)
    {
        var ids = tok.Encode(start + text).Append(tok.EosId).ToArray();
        for (int i = 0; i + 1 < ids.Length; i++) Set(ids[i], ids[i + 1], logit);
        return this;
    }

    public override Tensor forward(Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        long b = ids.shape[0], s = ids.shape[1];
        return weight.index_select(0, ids.reshape(-1)).reshape(b, s, VocabSize).MoveToOuterDisposeScope();
    }

    public string Family => "bigram";
    public int VocabSize { get; }
    public int HiddenSize => VocabSize;
    /// <summary>One (virtual) layer, so the KV-cache generator can make its cache; the model never uses it.</summary>
    public int NumLayers => 1;
    public int MaxPositions => 4096;
    public nn.Module Module => this;
    public Tensor Logits(Tensor inputIds) => forward(inputIds);
    /// <summary>Hidden states, when asked: [W[ids], W[ids]] ("embeddings" and "layer 1" are the logits), so RMU runs on it.</summary>
    public CausalLMOutput Forward(Tensor inputIds, bool outputHiddenStates)
    {
        var logits = forward(inputIds);
        return new(logits, outputHiddenStates ? [logits.alias(), logits.alias()] : null);
    }
    /// <summary>Batched cached generation: each position's logits depend on its own token only, so the mask and the
    /// cache change nothing (the generator feeds just the new token once it has a cache).</summary>
    public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask, DslUnlearn.Models.KvCache? cache, bool outputHiddenStates) => new(forward(inputIds), null);
    public Tensor ReadOut(Tensor hidden) => hidden.alias();

    public ICausalLM Clone()
    {
        var copy = new BigramLM(VocabSize);
        copy.load_state_dict(state_dict());
        return copy;
    }
}

/// <summary>Contexts for metric tests: char tokenizer, prompt "Q:" + question + " A=" (the '=' is unique to the answer tag).</summary>
internal static class Kit
{
    public static readonly CharTokenizer Tok = new();
    public static readonly QaEncoder Encoder = new(Tok, new PromptSpec { QuestionTag = "Q:", AnswerTag = " A=" });
    public const double LnV = 4.605170185988092; // ln 100

    public static int Id(char c) => Tok.Encode(c.ToString())[0];

    /// <summary>The hand-computed likelihood cases' model: after '=' logit ln 99 on 'x' gives p = 99 / (99 + 99) = 1/2,
    /// after 'x' logit ln 297 on 'y' gives p = 297 / 396 = 3/4 (the other 99 tokens of each row at logit 0).</summary>
    public static BigramLM XyModel() => new BigramLM(Tok.VocabSize).Set(Id('='), Id('x'), Math.Log(99)).Set(Id('x'), Id('y'), Math.Log(297));

    /// <summary>The NLL per answer token of "xy" under <see cref="XyModel"/>.</summary>
    public static readonly double XyNll = -(Math.Log(0.5) + Math.Log(0.75)) / 2;

    public static QaExample Qa(int index, string answer, string? para = null, params string[] perturbed)
        => new(index, "author", $"question {index}?", answer, $"paraphrased {index}?") { ParaphrasedAnswer = para, PerturbedAnswers = perturbed };

    public static MetricContext Ctx(ICausalLM model, IReadOnlyList<QaExample> examples, string split = "forget",
        ICausalLM? reference = null, IReadOnlyList<QaExample>? holdout = null,
        IReadOnlyDictionary<string, IReadOnlyList<QaExample>>? aux = null)
        => new(model, Encoder, examples, split, CPU, BatchSize: 3, Reference: reference, Holdout: holdout, AuxiliarySplits: aux);
}
