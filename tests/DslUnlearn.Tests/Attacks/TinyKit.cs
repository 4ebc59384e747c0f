using DslUnlearn.Attacks;
using DslUnlearn.Methods;
using DslUnlearn.Progress;
using DslUnlearn.Text;
using DslUnlearn.Training;

namespace DslUnlearn.Tests.Attacks;

/// <summary>Tests that train or share the tiny models run one at a time (one collection), so the shared models are built once.</summary>
[CollectionDefinition(Name)]
public sealed class TinyModelCollection { public const string Name = "tiny attacked models"; }

/// <summary>
/// A 6-author synthetic set (15 retain, 3 forget pairs), the char tokenizer and a 2-layer hidden-32 Llama.
/// <see cref="Target"/> is fine-tuned on everything; <see cref="Unlearned"/> is the target after a few GA
/// steps. Both are shared: tests clone them and never change them.
/// </summary>
internal static class TinyKit
{
    public const double FinetuneLr = 5e-3;
    public static readonly QaDataset Data = SyntheticAuthors.Generate(new DataSpec { Source = DataSource.Synthetic, Authors = 6, QaPerAuthor = 3, ForgetAuthors = 1 });
    public static readonly QaEncoder Encoder = new(new CharTokenizer(), new PromptSpec { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " });

    public static LlamaForCausalLM NewModel(int seed = 1, int layers = 2)
    {
        torch.manual_seed(seed);
        var model = new LlamaForCausalLM(new LlamaConfig(VocabSize: Encoder.Tokenizer.VocabSize, HiddenSize: 32, NumHiddenLayers: layers,
            NumAttentionHeads: 4, NumKeyValueHeads: 2, IntermediateSize: 64, MaxPositionEmbeddings: 256));
        model.eval();
        return model;
    }

    private static readonly Lazy<(LlamaForCausalLM Target, LlamaForCausalLM Unlearned)> Trained = new(() =>
    {
        var target = NewModel(seed: 11);
        Finetuner.Train(target, Encoder.EncodeAll(Data.Forget.Concat(Data.FinetuneRetain)), new FinetuneSpec { Epochs = 30, Lr = FinetuneLr, BatchSize = 6, WeightDecay = 0, WarmupSteps = 2, MaxGradNorm = 1 },
            seed: 5, CPU, NullProgressSink.Instance, "finetune", Encoder.Tokenizer.PadId);
        var unlearned = (LlamaForCausalLM)target.Clone();
        UnlearningLoop.Run(unlearned, new GradientAscent(new GaOptions { Lr = 2e-3, Steps = 6, BatchSize = 3 }), Encoder.EncodeAll(Data.Forget),
            [], seed: 5, CPU, NullProgressSink.Instance, "ga", Encoder.Tokenizer.PadId);
        target.eval();
        unlearned.eval();
        return (target, unlearned);
    });

    public static LlamaForCausalLM Target => Trained.Value.Target;
    public static LlamaForCausalLM Unlearned => Trained.Value.Unlearned;

    public static AttackContext Context(ICausalLM model, ulong seed = 3) => new(model, Data, Encoder, CPU, seed, FinetuneLr);

    /// <summary>Mean answer NLL over <paramref name="examples"/> (one batch, no grad).</summary>
    public static double Nll(ICausalLM model, IReadOnlyList<QaExample> examples)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var batch = TokenBatch.Collate(Encoder.EncodeAll(examples), CPU, Encoder.Tokenizer.PadId);
        return CausalLmLoss.Nll(model, batch).item<float>();
    }

    public static Dictionary<string, float[]> Weights(ICausalLM model)
        => model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().data<float>().ToArray());

    public static float[] LogitsOf(ICausalLM model, QaExample example)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var ids = torch.tensor(Encoder.Encode(example).Ids.Select(i => (long)i).ToArray(), [1, Encoder.Encode(example).Ids.Length]);
        return model.Logits(ids).data<float>().ToArray();
    }
}
