using DslUnlearn.Methods;
using DslUnlearn.Training;
using static DslUnlearn.Tests.Methods.Kit;

namespace DslUnlearn.Tests.Methods;

/// <summary>Every loss against the same formula recomputed independently in C# doubles from the model's logits.</summary>
public class LossFormulaTests
{
    [Fact]
    public void Forget_nll_with_tricks_off_is_bit_identical_to_the_plain_causal_lm_loss()
    {
        using var model = TinyModel();
        using var forget = Batch(ForgetRows());
        float plain = CausalLmLoss.Nll(model, forget).item<float>();
        Assert.Equal(plain, Losses.ForgetNll(model, forget, new GaOptions()).item<float>());
        // The token-level path gives the same number (not necessarily the same bits).
        using var tokens = torch.NewDisposeScope();
        Close(plain, Losses.PerToken(model.Logits(forget.InputIds), forget.Labels).Mean().item<float>());
        Close(Nll(model, forget), plain);
    }

    [Fact]
    public void Ga_and_gd_are_minus_forget_nll_plus_weighted_retain_nll()
    {
        using var model = TinyModel();
        var rows = ForgetRows();
        using var forget = Batch(rows);
        using var retain = Batch(RetainRows());
        double f = Nll(model, forget), r = Nll(model, retain);
        Close(-f, Item(new GradientAscent(new GaOptions()).Loss(Step(model, null, forget, null, rows))));
        Close(-f + 0.7 * r, Item(new GradientDifference(new GdOptions { RetainWeight = 0.7 }).Loss(Step(model, null, forget, retain, rows))));
    }

    [Theory]
    [InlineData(2.0, 1.0)]
    [InlineData(0.5, 1.0)]
    [InlineData(1.0, 0.5)]
    [InlineData(1.0, 0.3)]
    [InlineData(3.0, 0.6)]
    public void Temperature_and_token_selection_change_the_forget_nll_as_computed_by_hand(double t, double q)
    {
        using var model = TinyModel();
        var rows = ForgetRows();
        using var forget = Batch(rows);
        var per = TokenNll(Logits(model, forget), Labels(forget), t);
        double expected = MeanAll(Lowest(per, q));
        var o = new GaOptions { ForgetTemperature = t, TokenLossFraction = q };
        Close(expected, Item(Losses.ForgetNll(model, forget, o)));
        Close(-expected, Item(new GradientAscent(o).Loss(Step(model, null, forget, null, rows))));
        Assert.NotEqual(Nll(model, forget), expected, 4); // the trick really changed the loss
    }

    [Fact]
    public void Token_selection_keeps_floor_q_n_tokens_per_row()
    {
        using var model = TinyModel();
        using var forget = Batch(ForgetRows());
        using var scope = torch.NewDisposeScope();
        var all = Losses.PerToken(model.Logits(forget.InputIds), forget.Labels);
        var kept = Losses.SelectLowest(all, 0.3);
        var n = all.Mask.sum(1).data<float>().ToArray();
        var k = kept.Mask.sum(1).data<float>().ToArray();
        for (int i = 0; i < n.Length; i++) Assert.Equal(Math.Floor(0.3 * n[i]), k[i]);
        Assert.Equal(0, Losses.SelectedCount(0.3, 3));            // a short row keeps nothing, as in UWC
        Assert.Equal(7, Losses.SelectedCount(0.7, 10));           // float32 0.7 * 10 rounds to 7.0, not 6.99...
        Assert.True((kept.Mask * (1 - all.Mask)).sum().item<float>() == 0, "selection keeps only labelled tokens");
    }

    [Fact]
    public void Kl_is_minus_forget_nll_plus_weighted_kl_original_to_current_on_retain()
    {
        using var setup = new LossSetup();
        var (reference, model, rows, forget, retain) = setup;
        var method = new KlMinimization(new KlOptions { RetainWeight = 2.0 });
        // Same weights: the KL term vanishes.
        Close(-Nll(model, forget), Item(method.Loss(Step(model, reference, forget, retain, rows))));
        Perturb(model);
        double kl = Kl(model, reference, retain);
        Assert.True(kl > 1e-4, $"perturbation should move the distributions (KL {kl})");
        Close(-Nll(model, forget) + 2.0 * kl, Item(method.Loss(Step(model, reference, forget, retain, rows))));
    }

    private static double[] SequenceLogProbs(ICausalLM model, TokenBatch batch, double t = 1.0)
        => TokenNll(Logits(model, batch), Labels(batch), t).Select(r => -r.Sum()).ToArray();

    [Theory]
    [InlineData(0.1, 1.0)]
    [InlineData(0.5, 2.0)]
    public void Npo_is_minus_two_over_beta_logsigmoid_of_minus_beta_log_ratio(double beta, double t)
    {
        using var setup = new LossSetup();
        var (reference, model, rows, forget, _) = setup;
        var npo = new Npo(new NpoOptions { Beta = beta, ForgetTemperature = t });
        // At the start the ratio is 1: loss = 2/beta * ln 2.
        Close(2 / beta * Math.Log(2), Item(npo.Loss(Step(model, reference, forget, null, rows))));
        Perturb(model, 0.1);
        var cur = SequenceLogProbs(model, forget, t);
        var refp = SequenceLogProbs(reference, forget, t);
        double expected = cur.Select((c, i) => -2 / beta * LogSigmoid(-beta * (c - refp[i]))).Average();
        Close(expected, Item(npo.Loss(Step(model, reference, forget, null, rows))));
    }

    [Fact]
    public void Npo_with_token_selection_uses_the_same_tokens_for_the_reference()
    {
        using var setup = new LossSetup(perturb: 0.1);
        var (reference, model, rows, forget, _) = setup;
        var curTok = TokenNll(Logits(model, forget), Labels(forget));
        var refTok = TokenNll(Logits(reference, forget), Labels(forget));
        double beta = 0.2, q = 0.5, expected = 0;
        for (int r = 0; r < curTok.Length; r++)
        {
            int k = (int)((float)q * curTok[r].Count);                 // UWC rounds down
            var keep = curTok[r].Select((v, i) => (v, i)).OrderBy(x => x.v).Take(k).Select(x => x.i).ToList();
            double ratio = -keep.Sum(i => curTok[r][i]) + keep.Sum(i => refTok[r][i]);
            expected += -2 / beta * LogSigmoid(-beta * ratio) / curTok.Length;
        }
        Close(expected, Item(new Npo(new NpoOptions { Beta = beta, TokenLossFraction = q }).Loss(Step(model, reference, forget, null, rows))));
    }

    [Fact]
    public void Npo_gd_and_npo_kl_add_their_retain_terms()
    {
        using var setup = new LossSetup(perturb: 0.1);
        var (reference, model, rows, forget, retain) = setup;
        var o = new NpoRetainOptions { Beta = 0.3, RetainWeight = 0.5 };
        double npo = Item(new Npo(o).Loss(Step(model, reference, forget, null, rows)));
        Close(npo + 0.5 * Nll(model, retain), Item(new NpoGd(o).Loss(Step(model, reference, forget, retain, rows))));
        Close(npo + 0.5 * Kl(model, reference, retain), Item(new NpoKl(o).Loss(Step(model, reference, forget, retain, rows))));
    }

    [Theory]
    [InlineData(4.5, 0.0, 0.0)]
    [InlineData(2.0, 1.0, 0.5)]
    public void SimNpo_is_length_normalised_with_a_margin_and_no_reference(double beta, double gamma, double retainWeight)
    {
        using var model = TinyModel();
        var rows = ForgetRows();
        using var forget = Batch(rows);
        using var retain = Batch(RetainRows());
        var tokens = TokenNll(Logits(model, forget), Labels(forget));
        double expected = tokens.Select(r => -2 / beta * LogSigmoid(-beta * (-r.Sum() / r.Count) - gamma)).Average() + retainWeight * Nll(model, retain);
        var method = new SimNpo(new SimNpoOptions { Beta = beta, Gamma = gamma, RetainWeight = retainWeight });
        Assert.False(method.NeedsReference);
        Close(expected, Item(method.Loss(Step(model, null, forget, retain, rows))));
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(2.0, 1.0)]
    [InlineData(0.5, 2.0)]
    public void Wga_weights_each_token_by_its_probability_to_the_power_alpha(double alpha, double t)
    {
        using var model = TinyModel();
        var rows = ForgetRows();
        using var forget = Batch(rows);
        var tokens = TokenNll(Logits(model, forget), Labels(forget), t).SelectMany(x => x).ToArray();
        double expected = -tokens.Select(n => Math.Pow(Math.Exp(-n), alpha) * n).Average();
        Close(expected, Item(new WeightedGradientAscent(new WgaOptions { Alpha = alpha, ForgetTemperature = t }).Loss(Step(model, null, forget, null, rows))));
    }

    [Fact]
    public void Idk_batch_keeps_the_prompt_and_substitutes_a_shipped_answer()
    {
        var answers = IdkAnswers.Default;
        Assert.True(answers.Count >= 20, "the shipped list has at least 20 answers");
        Assert.All(answers, a => Assert.DoesNotContain(Tokenizer.Encode(a), id => id == DslUnlearn.Text.CharTokenizer.Unk));
        var builder = new IdkBatchBuilder(Tokenizer, answers, seed: 5);
        var row = ForgetRows()[1];
        var sub = builder.Substitute(row, 3);
        Assert.Equal(row.Ids[..row.PromptLength], sub.Ids[..sub.PromptLength]);
        Assert.Equal(answers[3], Tokenizer.Decode(sub.Ids[sub.PromptLength..^1]));
        Assert.Equal(Tokenizer.EosId, sub.Ids[^1]);
        Assert.Equal(answers[3].Length, sub.AnswerLength);
        // Deterministic per (seed, step); different steps draw differently.
        Assert.Equal(builder.Choose(4, 16), new IdkBatchBuilder(Tokenizer, answers, seed: 5).Choose(4, 16));
        Assert.NotEqual(builder.Choose(4, 16), builder.Choose(5, 16));
    }

    [Fact]
    public void Idk_po_and_idk_kl_are_the_nll_of_idk_answers_plus_their_retain_terms()
    {
        using var setup = new LossSetup(perturb: 0.1);
        var (reference, model, rows, forget, retain) = setup;
        var builder = new IdkBatchBuilder(Tokenizer, IdkAnswers.Default, seed: 9);
        using var idk = builder.Build(rows, 2, TorchSharp.torch.CPU);
        double idkNll = Nll(model, idk);
        var o = new IdkOptions { RetainWeight = 0.25, IdkSeed = 9 };
        Close(idkNll + 0.25 * Nll(model, retain), Item(new IdkPo(o).Loss(Step(model, null, forget, retain, rows, index: 2))));
        Close(idkNll + 0.25 * Kl(model, reference, retain), Item(new IdkKl(o).Loss(Step(model, reference, forget, retain, rows, index: 2))));
        Close(idkNll, Item(new IdkPo(o with { RetainWeight = 0 }).Loss(Step(model, null, forget, null, rows, index: 2))));
    }

    [Fact]
    public void Dpo_prefers_the_idk_answer_over_the_real_one()
    {
        using var setup = new LossSetup();
        var (reference, model, rows, forget, _) = setup;
        var builder = new IdkBatchBuilder(Tokenizer, IdkAnswers.Default, seed: 0);
        using var idk = builder.Build(rows, 0, TorchSharp.torch.CPU);
        const double beta = 0.4;
        var dpo = new Dpo(new DpoOptions { Beta = beta });
        Close(2 / beta * Math.Log(2), Item(dpo.Loss(Step(model, reference, forget, null, rows))));
        Perturb(model, 0.1);
        var win = SequenceLogProbs(model, idk);
        var winRef = SequenceLogProbs(reference, idk);
        var lose = SequenceLogProbs(model, forget);
        var loseRef = SequenceLogProbs(reference, forget);
        double expected = win.Select((w, i) => -2 / beta * LogSigmoid(beta * ((w - winRef[i]) - (lose[i] - loseRef[i])))).Average();
        Close(expected, Item(dpo.Loss(Step(model, reference, forget, null, rows))));
    }

    [Fact]
    public void Rmu_is_the_mse_to_c_u_on_forget_plus_alpha_times_the_mse_to_the_frozen_model_on_retain()
    {
        using var reference = TinyModel(layers: 2);
        using var model = reference.Clone();
        var rows = ForgetRows();
        using var forget = Batch(rows);
        using var retain = Batch(RetainRows());
        var o = new RmuOptions { Layer = 2, SteeringCoeff = 3.0, Alpha = 5.0, DirectionSeed = 4 };
        var control = Rmu.ControlVector(model.HiddenSize, o.SteeringCoeff, o.DirectionSeed, TorchSharp.torch.CPU).data<float>().Select(x => (double)x).ToArray();
        Close(3.0, Math.Sqrt(control.Sum(x => (double)x * x)));
        Assert.All(control, x => Assert.True(x >= 0));

        double ForgetTerm(ICausalLM m) => Mse(Hidden(m, forget, 2), forget, (_, _) => control);
        var method = new Rmu(o);
        Close(ForgetTerm(model), Item(method.Loss(Step(model, reference, forget, retain, rows))));
        Perturb(model, 0.1);
        var frozen = Hidden(reference, retain, 2);
        double expected = ForgetTerm(model) + 5.0 * Mse(Hidden(model, retain, 2), retain, (r, p) => frozen[r][p]);
        Close(expected, Item(method.Loss(Step(model, reference, forget, retain, rows))));
    }

    private static double[][][] Hidden(ICausalLM model, TokenBatch batch, int layer)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        using var output = model.Forward(batch.InputIds, outputHiddenStates: true);
        var h = output.HiddenStates![layer];
        long b = h.shape[0], s = h.shape[1], d = h.shape[2];
        var flat = h.data<float>().ToArray();
        return Enumerable.Range(0, (int)b).Select(i => Enumerable.Range(0, (int)s)
            .Select(p => flat.Skip((int)((i * s + p) * d)).Take((int)d).Select(x => (double)x).ToArray()).ToArray()).ToArray();
    }

    private static double Mse(double[][][] h, TokenBatch batch, Func<int, int, IReadOnlyList<double>> target)
    {
        var labels = Labels(batch);
        var values = new List<double>();
        for (int r = 0; r < labels.Length; r++)
            for (int p = 0; p < labels[r].Length; p++)
                if (labels[r][p] != TokenBatch.IgnoreIndex)
                {
                    var t = target(r, p);
                    values.Add(h[r][p].Select((x, k) => (x - t[k]) * (x - t[k])).Average());
                }
        return values.Average();
    }

    [Fact]
    public void Methods_without_a_forget_nll_term_refuse_the_tricks_and_rmu_checks_its_layer()
    {
        var e = Assert.Throws<ArgumentException>(() => new Rmu(new RmuOptions { ForgetTemperature = 2 }));
        Assert.Contains("forget_temperature", e.Message);
        Assert.Throws<ArgumentException>(() => new IdkPo(new IdkOptions { TokenLossFraction = 0.5 }));
        using var model = TinyModel();
        var rows = ForgetRows();
        using var forget = Batch(rows);
        var bad = Assert.Throws<ArgumentException>(() => new Rmu(new RmuOptions { Layer = 3, Alpha = 0 }).Loss(Step(model, null, forget, null, rows)));
        Assert.Contains("layer must be in 0..1", bad.Message);
    }
}
