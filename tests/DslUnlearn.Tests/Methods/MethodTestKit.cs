using DslUnlearn.Methods;
using DslUnlearn.Progress;
using DslUnlearn.Text;

namespace DslUnlearn.Tests.Methods;

/// <summary>
/// Tiny models and batches, and an independent re-implementation of the loss formulas in plain C# doubles
/// (log-softmax, NLL, KL, ...) from the logits the model returns, to check every method's loss by hand.
/// </summary>
internal static class Kit
{
    public static readonly CharTokenizer Tokenizer = new();
    public static readonly PromptSpec Prompt = new() { QuestionTag = "Q: ", AnswerTag = "\nA: " };
    public static readonly QaEncoder Encoder = new(Tokenizer, Prompt);

    public static LlamaForCausalLM TinyModel(int seed = 3, int layers = 1, int hidden = 16)
    {
        torch.manual_seed(seed);
        return new LlamaForCausalLM(new LlamaConfig(Tokenizer.VocabSize, hidden, layers, 2, 2, 32, 96));
    }

    public static EncodedQa Row(string question, string answer) => Encoder.Encode(new QaExample(0, "x", question, answer, question));

    /// <summary>Two forget rows with answers of different lengths (padding is exercised).</summary>
    public static EncodedQa[] ForgetRows() => [Row("Who wrote Ash?", "Bo Li."), Row("Born where?", "In Oslo, 1970.")];
    public static EncodedQa[] RetainRows() => [Row("Genre?", "Poetry."), Row("Award?", "The Kell Prize.")];

    public static TokenBatch Batch(IReadOnlyList<EncodedQa> rows) => TokenBatch.Collate(rows, CPU, Tokenizer.PadId);

    /// <summary>Adds seeded noise to every weight (so a model differs from its reference).</summary>
    public static void Perturb(ICausalLM model, double scale = 0.05, int seed = 11)
    {
        using var noGrad = torch.no_grad();
        var gen = new Generator((ulong)seed);
        foreach (var p in model.Module.parameters())
        {
            using var noise = torch.randn(p.shape, generator: gen) * scale;
            p.add_(noise);
        }
    }

    /// <summary>
    /// Unlearns with <paramref name="method"/> from a perturbed two-layer tiny model (the forget rows, two retain rows, seed 5):
    /// the step log and the final weights, so that runs with and without cached reference log-probabilities can be compared
    /// bit for bit.
    /// </summary>
    public static (IReadOnlyList<UnlearningLoop.StepLog> Log, float[] Weights) RunPerturbed(IUnlearningMethod method, bool cache,
        ITokenizer? tokenizer = null, ScalarType? compute = null)
    {
        using var model = TinyModel(layers: 2);
        Perturb(model);
        var log = UnlearningLoop.Run(model, method, ForgetRows(), [Row("Pet?", "A cat."), Row("City?", "Rome.")], 5, CPU, NullProgressSink.Instance, "u", Tokenizer.PadId,
            tokenizer: tokenizer, cacheReference: cache, compute: compute);
        return (log, model.Module.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray());
    }

    /// <summary>
    /// The reference cache changes nothing: with and without it, <see cref="RunPerturbed"/> gives the same step log (loss,
    /// forget and retain NLL after every step) and the same final weights, bit for bit; and the model moved, so the
    /// comparison is not of two no-ops.
    /// </summary>
    public static void AssertCacheChangesNothing(Func<IUnlearningMethod> make, ITokenizer? tokenizer = null)
    {
        var cached = RunPerturbed(make(), cache: true, tokenizer);
        var live = RunPerturbed(make(), cache: false, tokenizer);
        Assert.Equal(live.Log, cached.Log);
        Assert.Equal(live.Weights, cached.Weights);
        Assert.NotEqual(live.Log[0].Loss, live.Log[^1].Loss);
    }

    /// <summary>The arrange block the loss tests share: a tiny reference model and its copy (perturbed by
    /// <paramref name="perturb"/> unless it is 0, so that the two differ), the forget rows, the forget and retain batches.</summary>
    public sealed class LossSetup : IDisposable
    {
        private readonly ICausalLM _reference, _model;
        private readonly EncodedQa[] _rows = ForgetRows();
        private readonly TokenBatch _forget, _retain;

        public LossSetup(double perturb = 0)
        {
            _reference = TinyModel();
            _model = _reference.Clone();
            if (perturb != 0) Perturb(_model, perturb);
            _forget = Batch(_rows);
            _retain = Batch(RetainRows());
        }

        public void Deconstruct(out ICausalLM reference, out ICausalLM model, out EncodedQa[] rows, out TokenBatch forget, out TokenBatch retain)
            => (reference, model, rows, forget, retain) = (_reference, _model, _rows, _forget, _retain);

        public void Dispose()
        {
            _retain.Dispose();
            _forget.Dispose();
            _model.Dispose();
            _reference.Dispose();
        }
    }

    public static UnlearnStep Step(ICausalLM model, ICausalLM? reference, TokenBatch forget, TokenBatch? retain, IReadOnlyList<EncodedQa> forgetRows, int index = 0)
        => new(model, reference, forget, retain, index) { ForgetRows = forgetRows, Tokenizer = Tokenizer };

    public static double Item(Tensor t) { using (t) return t.item<float>(); }

    // ---- the independent reference: doubles, loops, no torch ops besides reading the logits ----

    /// <summary>logits as [batch][position][vocab] doubles.</summary>
    public static double[][][] Logits(ICausalLM model, TokenBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var l = model.Logits(batch.InputIds);
        long b = l.shape[0], s = l.shape[1], v = l.shape[2];
        var flat = l.data<float>().ToArray();
        return Enumerable.Range(0, (int)b).Select(i => Enumerable.Range(0, (int)s)
            .Select(p => Enumerable.Range(0, (int)v).Select(k => (double)flat[(i * s + p) * v + k]).ToArray()).ToArray()).ToArray();
    }

    public static long[][] Labels(TokenBatch batch)
    {
        long b = batch.Labels.shape[0], s = batch.Labels.shape[1];
        var flat = batch.Labels.data<long>().ToArray();
        return Enumerable.Range(0, (int)b).Select(i => flat.Skip((int)(i * s)).Take((int)s).ToArray()).ToArray();
    }

    public static double[] LogSoftmax(double[] z, double t = 1.0)
    {
        var s = z.Select(x => x / t).ToArray();
        double m = s.Max();
        double lse = m + Math.Log(s.Sum(x => Math.Exp(x - m)));
        return s.Select(x => x - lse).ToArray();
    }

    /// <summary>Per row, the NLL of each labelled token in order (answer tokens then EOS).</summary>
    public static List<double>[] TokenNll(double[][][] logits, long[][] labels, double t = 1.0)
    {
        var result = new List<double>[labels.Length];
        for (int r = 0; r < labels.Length; r++)
        {
            result[r] = [];
            for (int p = 0; p < labels[r].Length; p++)
                if (labels[r][p] != TokenBatch.IgnoreIndex) result[r].Add(-LogSoftmax(logits[r][p], t)[labels[r][p]]);
        }
        return result;
    }

    /// <summary>Keeps the floor(q n) lowest values of each row, q * n in float32 as UWC's <c>(q * n.float()).int()</c>.</summary>
    public static List<double>[] Lowest(List<double>[] rows, double q)
        => rows.Select(r => r.OrderBy(x => x).Take((int)((float)q * (float)r.Count)).ToList()).ToArray();

    public static double MeanAll(List<double>[] rows) => rows.SelectMany(x => x).Average();

    public static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    public static double Nll(ICausalLM model, TokenBatch batch, double t = 1.0) => MeanAll(TokenNll(Logits(model, batch), Labels(batch), t));

    /// <summary>KL(p_reference || p_model) at every position of the padded batch, averaged (kl_div(..., "batchmean", log_target=True) on flattened logits).</summary>
    public static double Kl(ICausalLM model, ICausalLM reference, TokenBatch batch)
    {
        var lm = Logits(model, batch);
        var lr = Logits(reference, batch);
        var values = new List<double>();
        for (int r = 0; r < lm.Length; r++)
            for (int s = 0; s < lm[r].Length; s++)
            {
                var a = LogSoftmax(lm[r][s]);
                var b = LogSoftmax(lr[r][s]);
                values.Add(b.Select((x, k) => Math.Exp(x) * (x - a[k])).Sum());
            }
        return values.Average();
    }

    public static void Close(double expected, double actual, double tolerance = 2e-5)
        => Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");
}
