using System.Reflection;
using DslUnlearn.Components;
using DslUnlearn.Progress;
using DslUnlearn.Text;
using DslUnlearn.Torch;
using DslUnlearn.Training;
using Xunit.Abstractions;

namespace DslUnlearn.Tests.Torch;

/// <summary>model.dtype: 16-bit compute against float32 results, float32 master weights, float32 reductions.</summary>
public class PrecisionTests(ITestOutputHelper output)
{
    private static readonly CharTokenizer Tokenizer = new();
    private static readonly QaEncoder Encoder = new(Tokenizer, new PromptSpec { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " });
    private static readonly FinetuneSpec Finetune = new() { Epochs = 30, Lr = 5e-3, BatchSize = 8, WeightDecay = 0, WarmupSteps = 2, MaxGradNorm = 1.0 };

    private static LlamaForCausalLM NewModel(int seed = 5)
    {
        torch.manual_seed(seed);
        return new LlamaForCausalLM(new LlamaConfig(Tokenizer.VocabSize, 64, 1, 4, 2, 128, 160));
    }

    /// <summary>8 authors, 3 QA each: authors 0-5 are trained on (forget = the last of them), 6-7 are the holdout.</summary>
    private static (QaDataset Trained, IReadOnlyList<QaExample> Holdout) Data()
    {
        var all = SyntheticAuthors.Generate(new DataSpec { Source = DataSource.Synthetic, Authors = 8, QaPerAuthor = 3, ForgetAuthors = 3 });
        var holdout = all.Forget.Skip(3).ToArray();                   // the last two authors: never trained on
        return (new QaDataset(all.Forget.Take(3).ToArray(), [], [.. all.RetainEval, .. all.RetainTrain]), holdout);
    }

    /// <summary>
    /// Every registered metric, on a fine-tuned fixture model, in float32 and in bfloat16 (the same weights cast).
    /// Bounds: metrics of likelihoods (NLL, probabilities, truth ratio) move little under bfloat16's 8-bit
    /// mantissa; metrics of greedy generations can flip a token where two logits are close, so their bound is
    /// wider; MIA AUCs are ranks over 6 + 6 examples, so one swapped pair moves them by 1/36.
    /// </summary>
    [Fact]
    public void Every_metric_in_bfloat16_stays_within_its_bound_of_float32()
    {
        var (data, holdout) = Data();
        using var model = NewModel();
        Finetuner.Train(model, Encoder.EncodeAll(data.All.ToArray()), Finetune, 3, CPU, NullProgressSink.Instance, "ft", Tokenizer.PadId);
        using var reference = NewModel(seed: 9);
        using var model16 = ModelPrecision.Cast(model.Clone(), ScalarType.BFloat16);
        using var reference16 = ModelPrecision.Cast(reference.Clone(), ScalarType.BFloat16);
        Assert.All(model16.Module.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var aux = new Dictionary<string, IReadOnlyList<QaExample>> { ["real_authors"] = data.RetainEval.Take(3).ToArray(), ["world_facts"] = data.RetainEval.Skip(3).Take(3).ToArray() };
        MetricContext Context(ICausalLM m, ICausalLM r) => new(m, Encoder, data.Forget, "forget", CPU, 4, Reference: r, Holdout: holdout, AuxiliarySplits: aux);

        var metrics = typeof(IMetric).Assembly.GetTypes()
            .Select(t => (Type: t, Name: t.GetCustomAttribute<MetricAttribute>()?.Name))
            .Where(x => x.Name is not null).OrderBy(x => x.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(22, metrics.Count);
        int differing = 0;
        foreach (var (type, name) in metrics)
        {
            var ctor = type.GetConstructors().Single();
            var metric = (IMetric)ctor.Invoke(ctor.GetParameters().Select(p => Activator.CreateInstance(p.ParameterType)).ToArray());
            double a = metric.Compute(Context(model, reference)).AggValue;
            double b = metric.Compute(Context(model16, reference16)).AggValue;
            var (bound, relative) = Bound(name!);
            double diff = relative ? Math.Abs(b - a) / Math.Max(1e-12, Math.Abs(a)) : Math.Abs(b - a);
            output.WriteLine($"{name,-24} fp32 {a,12:G6}  bf16 {b,12:G6}  {(relative ? "rel" : "abs")} diff {diff:G3} (bound {bound})");
            Assert.True(double.IsFinite(a) && double.IsFinite(b), $"{name}: {a} vs {b}");
            Assert.True(diff <= bound, $"{name}: float32 {a}, bfloat16 {b}: {(relative ? "relative" : "absolute")} difference {diff:G3} exceeds {bound}");
            if (a != b) differing++;
        }
        Assert.True(differing >= 5, $"only {differing} metrics differ at all: is the bfloat16 model really computing in bfloat16?");
    }

    private static (double Bound, bool Relative) Bound(string metric) => metric switch
    {
        "nll" or "perplexity" => (0.02, true),
        "truth_ratio" => (0.05, true),
        "answer_prob" or "answer_prob_normalized" => (0.02, false),
        "forget_quality" => (0.2, false),            // a KS-test p-value: a step function of the ratios' order
        "privleak" => (25.0, false),                 // (AUC - AUC_ref) / AUC_ref in percent
        var m when m.StartsWith("mia_", StringComparison.Ordinal) => (0.1, false),
        _ => (0.1, false),                           // generation-based (ES, EM, ROUGE, model_utility, retain_utility): fractions of tokens
    };

    [Fact]
    public void Logits_and_hidden_states_leave_a_16_bit_model_as_float32()
    {
        using var model = ModelPrecision.Cast(NewModel(), ScalarType.BFloat16);
        var ids = torch.randint(0, Tokenizer.VocabSize, [2, 9], dtype: int64, generator: new Generator(4));
        using var o = model.Forward(ids, outputHiddenStates: true);
        Assert.Equal(ScalarType.Float32, o.Logits.dtype);
        Assert.All(o.HiddenStates!, h => Assert.Equal(ScalarType.Float32, h.dtype));
        using var readOut = model.ReadOut(o.HiddenStates![^1]);   // a float32 hidden state goes back through the 16-bit head
        Assert.Equal(ScalarType.Float32, readOut.dtype);
        Assert.Equal(o.Logits.data<float>().ToArray(), readOut.data<float>().ToArray());
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void Mixed_precision_finetuning_keeps_float32_master_weights_and_tracks_float32_training(ScalarType dtype)
    {
        var (data, _) = Data();
        var rows = Encoder.EncodeAll(data.All.ToArray());
        var spec = Finetune with { Epochs = 4 };
        using var fp32 = NewModel();
        using var mixed = NewModel();
        double loss32 = Finetuner.Train(fp32, rows, spec, 3, CPU, NullProgressSink.Instance, "ft", Tokenizer.PadId);
        double loss16 = Finetuner.Train(mixed, rows, spec, 3, CPU, NullProgressSink.Instance, "ft", Tokenizer.PadId, compute: dtype);
        Assert.All(mixed.Module.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));   // the master stays float32
        Assert.All(mixed.Module.parameters(), p => Assert.True(p.grad is null || p.grad.dtype == ScalarType.Float32));
        output.WriteLine($"{dtype}: final epoch loss fp32 {loss32:G6}, mixed {loss16:G6}");
        Assert.NotEqual(loss32, loss16);                                  // it did compute in 16-bit
        Assert.True(Math.Abs(loss16 - loss32) / loss32 < 0.05, $"mixed-precision loss {loss16} vs float32 {loss32}");
        // The master weights hold updates smaller than a 16-bit ulp: they are not all representable in 16 bits.
        bool finer = mixed.Module.parameters().Any(p => { using var r = p.to(dtype).to(ScalarType.Float32); return !r.data<float>().ToArray().AsSpan().SequenceEqual(p.data<float>().ToArray()); });
        Assert.True(finer, "the master weights are exactly 16-bit values: the update went through 16-bit weights");
    }

    [Theory]
    [MemberData(nameof(Tests.Models.TinyModels.Names), MemberType = typeof(Tests.Models.TinyModels))]
    public void Every_family_runs_in_16_bit_with_float32_logits_close_to_float32(string family)
    {
        using var model = Tests.Models.TinyModels.Create(family);
        var ids = Tests.Models.TinyModels.RandomIds(2, 12);
        var mask = torch.tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 12]);
        float[] Logits(ICausalLM m)
        {
            using var noGrad = torch.no_grad();
            using var o = m.Forward(ids, mask, null, false);
            Assert.Equal(ScalarType.Float32, o.Logits.dtype);
            return o.Logits.narrow(1, 2, 10).data<float>().ToArray();
        }
        var full = Logits(model);
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float16 })
        {
            using var half = ModelPrecision.Cast(model.Clone(), dtype);
            var h = Logits(half);
            double scale = full.Max(x => Math.Abs(x)), worst = full.Zip(h).Max(p => Math.Abs(p.First - p.Second));
            Assert.All(h, x => Assert.True(float.IsFinite(x)));
            Assert.True(worst > 0, $"{family} {dtype}: identical to float32, so it did not compute in 16-bit");
            Assert.True(worst < 0.05 * scale, $"{family} {dtype}: largest difference {worst} against logits up to {scale}");
        }
    }
}
