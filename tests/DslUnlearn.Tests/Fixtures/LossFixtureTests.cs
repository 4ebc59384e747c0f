using DslUnlearn.Methods;
using DslUnlearn.Tests.Metrics;

namespace DslUnlearn.Tests.Fixtures;

/// <summary>
/// tests/fixtures/losses: every method's loss on bigram models, computed by a Python script from the definitions
/// of OpenUnlearning and UWC (the script names each function). Float32 logits here, float64 there: 1e-5 relative.
/// </summary>
public class LossFixtureTests
{
    private static readonly JsonElement F = Golden.Load("losses/losses.json");
    private static double E(string name) => F.GetProperty("expected").GetProperty(name).GetDouble();

    private static BigramLM Model(string key) => Golden.Bigram(F.GetProperty(key));

    private static EncodedQa[] Rows(string key) => F.GetProperty(key).EnumerateArray()
        .Select(r => new EncodedQa(Golden.Ints(r.GetProperty("ids")), r.GetProperty("prompt_length").GetInt32(), r.GetProperty("answer_length").GetInt32())).ToArray();

    private static TokenBatch Batch(string key) => TokenBatch.Collate(Rows(key), CPU, F.GetProperty("pad").GetInt32());

    private static double Loss(IUnlearningMethod method, ICausalLM model, ICausalLM reference, TokenBatch forget, TokenBatch retain)
    {
        using var scope = torch.NewDisposeScope();
        return method.Loss(new UnlearnStep(model, reference, forget, retain, 0) { ForgetRows = Rows("forget") }).item<float>();
    }

    private static void Near(double expected, double actual, string what)
        => Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    /// <summary>The fixture's model W, its frozen reference W_ref, and its forget and retain batches.</summary>
    private sealed class Inputs : IDisposable
    {
        public readonly BigramLM Model = LossFixtureTests.Model("W"), Reference = LossFixtureTests.Model("W_ref");
        public readonly TokenBatch Forget = Batch("forget"), Retain = Batch("retain");

        /// <summary>The method's loss on these inputs.</summary>
        public double Loss(IUnlearningMethod method) => LossFixtureTests.Loss(method, Model, Reference, Forget, Retain);

        public void Dispose()
        {
            Model.Dispose();
            Reference.Dispose();
            Forget.Dispose();
            Retain.Dispose();
        }
    }

    [Fact]
    public void Every_loss_matches_its_reference_definition()
    {
        using var inputs = new Inputs();
        var (model, reference, forget) = (inputs.Model, inputs.Reference, inputs.Forget);
        double L(IUnlearningMethod m) => inputs.Loss(m);
        Near(E("ga"), L(new GradientAscent(new GaOptions())), "ga");
        Near(E("gd"), L(new GradientDifference(new GdOptions())), "gd");
        Near(E("kl"), L(new KlMinimization(new KlOptions { RetainWeight = 2 })), "kl");
        Near(E("npo"), L(new Npo(new NpoOptions { Beta = 0.1 })), "npo");
        Near(E("npo_gd"), L(new NpoGd(new NpoRetainOptions { Beta = 0.1, RetainWeight = 0.5 })), "npo_gd");
        Near(E("npo_kl"), L(new NpoKl(new NpoRetainOptions { Beta = 0.1, RetainWeight = 0.5 })), "npo_kl");
        Near(E("simnpo"), L(new SimNpo(new SimNpoOptions { Beta = 2, Gamma = E("simnpo_gamma") })), "simnpo");
        Near(E("wga_1.0"), L(new WeightedGradientAscent(new WgaOptions { Alpha = 1 })), "wga 1");
        Near(E("wga_2.0"), L(new WeightedGradientAscent(new WgaOptions { Alpha = 2 })), "wga 2");
        foreach (double q in new[] { 0.5, 0.3, 0.7 })
            Near(E($"ga_token_fraction_{q}"), L(new GradientAscent(new GaOptions { TokenLossFraction = q })), $"ga q={q}");
        using (var idk = Batch("idk"))
        using (var scope = torch.NewDisposeScope())
            Near(E("dpo"), Dpo.PreferenceLoss(model, reference, idk, forget, new DpoOptions { Beta = 0.1 }).item<float>(), "dpo");
    }

    [Fact]
    public void Kl_retain_term_is_kl_reference_to_current_averaged_over_the_batch_positions()
    {
        using var model = Model("W");
        using var reference = Model("W_ref");
        using var retain = Batch("retain");
        using var scope = torch.NewDisposeScope();
        Near(E("kl_ours_layout"), Losses.KlToReference(model, reference, retain).item<float>(), "kl");
        // The references feed each row's last token too: one more column, a documented difference of this size.
        Assert.True(Math.Abs(E("kl_ours_layout") - E("kl_reference_layout")) < 0.1 * E("kl_ours_layout"));
    }

    [Fact]
    public void Rmu_wmdp_form_and_uwc_variant_match()
    {
        using var inputs = new Inputs();
        var model = inputs.Model;
        // The direction comes from torch.rand with a seeded generator: libtorch's CPU generator, as in PyTorch.
        using (var v = Rmu.ControlVector(model.HiddenSize, 1.0, 3, CPU, raw: true))
            Assert.Equal(Golden.Doubles(F.GetProperty("rmu_noise_seed3")), v.data<float>().ToArray().Select(x => (double)x).ToArray());
        double L(RmuOptions o) => inputs.Loss(new Rmu(o));
        Near(E("rmu_raw_none"), L(new RmuOptions { Steering = "raw", RetainLoss = "none", SteeringCoeff = 2, DirectionSeed = 3 }), "rmu raw none");
        Near(E("rmu_raw_kl"), L(new RmuOptions { Steering = "raw", RetainLoss = "kl", Alpha = 1, SteeringCoeff = 2, DirectionSeed = 3 }), "rmu raw kl");
        Near(E("rmu_unit_activations"), L(new RmuOptions { SteeringCoeff = 2, DirectionSeed = 3 }), "rmu wmdp");
        Assert.False(new Rmu(new RmuOptions { RetainLoss = "none" }).NeedsReference);
        Assert.Equal(2, new Rmu(new RmuOptions { Layer = 1, LayerIndexing = "wmdp" }).HiddenIndex);
        Assert.Throws<ArgumentException>(() => new Rmu(new RmuOptions { Steering = "gaussian" }));
    }

    [Fact]
    public void Fixture_records_the_method_versions_it_was_checked_at()
    {
        Golden.AssertVersions(F);
    }
}
