using DslUnlearn.Methods;
using DslUnlearn.Progress;
using DslUnlearn.Tests.Models;
using DslUnlearn.Training;

namespace DslUnlearn.Tests.Torch;

/// <summary>Gradient checkpointing per decoder layer: the same gradients, bit for bit, and no leak.</summary>
public class GradientCheckpointTests
{
    private static Dictionary<string, float[]> Gradients(ICausalLM model, Tensor ids, bool checkpoint, Tensor? mask = null)
    {
        model.Module.train();
        model.GradientCheckpointing = checkpoint;
        model.Module.zero_grad();
        using (var scope = torch.NewDisposeScope())
        {
            using var o = model.Forward(ids, mask, null, outputHiddenStates: false);
            // A loss that weighs every logit differently, so every parameter gets a distinct gradient.
            var w = torch.linspace(-1, 1, o.Logits.numel()).view(o.Logits.shape);
            (o.Logits * w).sum().backward();
        }
        var grads = new Dictionary<string, float[]>();
        foreach (var (name, p) in model.Module.named_parameters())
        {
            using var g = p.grad;
            grads[name] = g?.data<float>().ToArray() ?? [];
        }
        model.GradientCheckpointing = false;
        return grads;
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Checkpointed_gradients_are_identical(string family)
    {
        using var model = TinyModels.Create(family);
        var ids = TinyModels.RandomIds(3, 11);
        var plain = Gradients(model, ids, checkpoint: false);
        var checkpointed = Gradients(model, ids, checkpoint: true);
        Assert.Equal(plain.Keys, checkpointed.Keys);
        foreach (var (name, g) in plain)
        {
            Assert.NotEmpty(g);
            Assert.True(g.Any(x => x != 0), $"{family}: {name} got no gradient");
            Assert.Equal(g, checkpointed[name]);
        }
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Checkpointed_gradients_are_identical_with_a_padding_mask(string family)
    {
        using var model = TinyModels.Create(family);
        var ids = TinyModels.RandomIds(2, 9);
        var mask = torch.tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 9]);
        Assert.Equal(Gradients(model, ids, false, mask).Values, Gradients(model, ids, true, mask).Values);
    }

    [Fact]
    public void Finetuning_with_checkpointing_gives_bit_identical_weights()
    {
        var tokenizer = new DslUnlearn.Text.CharTokenizer();
        var encoder = new QaEncoder(tokenizer, new PromptSpec { QuestionTag = "Q: ", AnswerTag = "\nA: " });
        var rows = encoder.EncodeAll(SyntheticAuthors.Generate(new DataSpec { Source = DataSource.Synthetic, Authors = 4, QaPerAuthor = 3, ForgetAuthors = 1 }).All.ToArray());
        var spec = new FinetuneSpec { Epochs = 2, Lr = 3e-3, BatchSize = 4, WeightDecay = 0.01, WarmupSteps = 1, MaxGradNorm = 1.0 };
        LlamaForCausalLM Fresh() { torch.manual_seed(2); return new LlamaForCausalLM(new LlamaConfig(tokenizer.VocabSize, 32, 2, 4, 2, 64, 160)); }
        using var a = Fresh();
        using var b = Fresh();
        double la = Finetuner.Train(a, rows, spec, 1, CPU, NullProgressSink.Instance, "ft", tokenizer.PadId);
        double lb = Finetuner.Train(b, rows, spec with { GradientCheckpointing = true }, 1, CPU, NullProgressSink.Instance, "ft", tokenizer.PadId);
        Assert.Equal(la, lb);
        foreach (var (p, q) in a.Module.parameters().Zip(b.Module.parameters())) Assert.Equal(p.data<float>().ToArray(), q.data<float>().ToArray());
        Assert.False(b.GradientCheckpointing); // the loop restores the model's setting
    }

    [Fact]
    public void Unlearning_with_checkpointing_gives_bit_identical_npo_results()
    {
        var forget = Tests.Methods.Kit.ForgetRows();
        var o = new NpoOptions { Lr = 1e-3, Steps = 3, BatchSize = 2 };
        var runs = new[] { false, true }.Select(ck =>
        {
            using var m = Tests.Methods.Kit.TinyModel(layers: 2);
            var log = UnlearningLoop.Run(m, new Npo(o with { GradientCheckpointing = ck }), forget, [], 5, CPU, NullProgressSink.Instance, "npo", Tests.Methods.Kit.Tokenizer.PadId);
            return (log, weights: m.Module.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray());
        }).ToArray();
        Assert.Equal(runs[0].log, runs[1].log);
        Assert.Equal(runs[0].weights, runs[1].weights);
    }

    [Fact]
    public void A_checkpointed_step_leaks_no_tensors()
    {
        using var model = TinyModels.Create("llama");
        var ids = TinyModels.RandomIds(2, 7);
        Gradients(model, ids, true); // the first step allocates the gradients, which live with the parameters
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        for (int i = 0; i < 3; i++) Gradients(model, ids, true);
        Assert.Equal(0, stats.ThreadTotalLiveCount);
    }
}
