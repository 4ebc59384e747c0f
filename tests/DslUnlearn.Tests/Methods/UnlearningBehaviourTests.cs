using System.Reflection;
using DslUnlearn.Components;
using DslUnlearn.Methods;
using DslUnlearn.Progress;
using DslUnlearn.Text;
using DslUnlearn.Training;

namespace DslUnlearn.Tests.Methods;

/// <summary>A tiny model fine-tuned once on the synthetic authors, plus an oracle fine-tuned on retain only.</summary>
public sealed class SyntheticTargetFixture : IDisposable
{
    public static readonly FinetuneSpec Finetune = new() { Epochs = 30, Lr = 1e-2, BatchSize = 6, WeightDecay = 0, WarmupSteps = 2, MaxGradNorm = 1.0 };
    public CharTokenizer Tokenizer { get; } = new();
    public EncodedQa[] Forget { get; }
    public EncodedQa[] Retain { get; }
    public LlamaForCausalLM Target { get; }
    public LlamaForCausalLM Oracle { get; }

    public SyntheticTargetFixture()
    {
        var data = SyntheticAuthors.Generate(new DataSpec { Source = DataSource.Synthetic, Authors = 6, QaPerAuthor = 3, ForgetAuthors = 1 });
        var encoder = new QaEncoder(Tokenizer, new PromptSpec { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " });
        Forget = encoder.EncodeAll(data.Forget);
        Retain = encoder.EncodeAll(data.FinetuneRetain);
        var config = new LlamaConfig(Tokenizer.VocabSize, 32, 1, 4, 2, 64, 128);
        torch.manual_seed(5);
        Target = new LlamaForCausalLM(config);
        Finetuner.Train(Target, Forget.Concat(Retain).ToArray(), Finetune, 5, CPU, NullProgressSink.Instance, "finetune", Tokenizer.PadId);
        torch.manual_seed(5);
        Oracle = new LlamaForCausalLM(config);
        Finetuner.TrainOracle(Oracle, Retain, Finetune, 5, CPU, NullProgressSink.Instance, Tokenizer.PadId);
    }

    /// <summary>Mean NLL of the answers of <paramref name="rows"/>, in one no-grad batch.</summary>
    public double Nll(ICausalLM model, IReadOnlyList<EncodedQa> rows)
    {
        using var noGrad = torch.no_grad();
        using var batch = TokenBatch.Collate(rows, CPU, Tokenizer.PadId);
        return CausalLmLoss.Nll(model, batch).item<float>();
    }

    public ICausalLM Unlearn(IUnlearningMethod method)
    {
        var model = Target.Clone();
        UnlearningLoop.Run(model, method, Forget, Retain, 1, CPU, NullProgressSink.Instance, "unlearn", Tokenizer.PadId, tokenizer: Tokenizer);
        return model;
    }

    public void Dispose()
    {
        Target.Dispose();
        Oracle.Dispose();
    }
}

public class UnlearningBehaviourTests(SyntheticTargetFixture f) : IClassFixture<SyntheticTargetFixture>
{
    private const double Lr = 3e-3;
    private const int Steps = 6;

    [Fact]
    public void The_target_memorises_and_the_oracle_never_saw_the_forget_authors()
    {
        double targetForget = f.Nll(f.Target, f.Forget), oracleForget = f.Nll(f.Oracle, f.Forget);
        Assert.True(targetForget < 0.5, $"target forget NLL {targetForget}, oracle {oracleForget}");
        Assert.True(f.Nll(f.Oracle, f.Retain) < 0.5, $"oracle retain NLL {f.Nll(f.Oracle, f.Retain)}");
        Assert.True(oracleForget > targetForget + 0.5, $"oracle forget NLL {oracleForget} vs target {targetForget}");
        Assert.Throws<ArgumentException>(() => Finetuner.TrainOracle(f.Oracle, [], SyntheticTargetFixture.Finetune, 1, CPU, NullProgressSink.Instance, 0));
    }

    [Fact]
    public void Ga_raises_the_forget_nll()
    {
        using var model = f.Unlearn(new GradientAscent(new GaOptions { Lr = Lr, Steps = Steps, BatchSize = 4 }));
        double before = f.Nll(f.Target, f.Forget), after = f.Nll(model, f.Forget);
        Assert.True(after > before + 0.5, $"forget NLL {before} -> {after}");
    }

    [Fact]
    public void Gd_and_kl_keep_the_retain_nll_closer_to_the_original_than_ga()
    {
        double original = f.Nll(f.Target, f.Retain);
        double Drift(IUnlearningMethod m) { using var model = f.Unlearn(m); return Math.Abs(f.Nll(model, f.Retain) - original); }
        double ga = Drift(new GradientAscent(new GaOptions { Lr = Lr, Steps = Steps, BatchSize = 4 }));
        double gd = Drift(new GradientDifference(new GdOptions { Lr = Lr, Steps = Steps, BatchSize = 4 }));
        double kl = Drift(new KlMinimization(new KlOptions { Lr = Lr, Steps = Steps, BatchSize = 4 }));
        Assert.True(gd < ga, $"retain NLL drift: gd {gd} vs ga {ga}");
        Assert.True(kl < ga, $"retain NLL drift: kl {kl} vs ga {ga}");
    }

    public static TheoryData<string> MethodNames() => new(Components().Select(c => c.Name));

    private static IEnumerable<(string Name, Type Type)> Components()
        => typeof(IUnlearningMethod).Assembly.GetTypes()
            .Select(t => (Attr: t.GetCustomAttribute<UnlearningMethodAttribute>(), Type: t))
            .Where(x => x.Attr is not null).Select(x => (x.Attr!.Name, x.Type)).OrderBy(x => x.Name);

    private static IUnlearningMethod Create(string name, Func<UnlearnOptions, UnlearnOptions> configure)
    {
        var type = Components().Single(c => c.Name == name).Type;
        var ctor = type.GetConstructors().Single();
        var options = (UnlearnOptions)Activator.CreateInstance(ctor.GetParameters()[0].ParameterType)!;
        return (IUnlearningMethod)ctor.Invoke([configure(options)]);
    }

    [Fact]
    public void Every_method_follows_the_component_contract()
    {
        var names = Components().Select(c => c.Name).ToArray();
        Assert.Equal(["dpo", "ga", "gd", "idk_kl", "idk_po", "kl", "npo", "npo_gd", "npo_kl", "rmu", "simnpo", "wga"], names);
        foreach (var (name, type) in Components())
        {
            Assert.Matches("^[a-z][a-z0-9_]*$", name);
            Assert.True(type.IsPublic && !type.IsAbstract && typeof(IUnlearningMethod).IsAssignableFrom(type), name);
            var ctor = Assert.Single(type.GetConstructors());
            var options = Assert.Single(ctor.GetParameters()).ParameterType;
            Assert.True(typeof(UnlearnOptions).IsAssignableFrom(options), $"{name}: options derive from UnlearnOptions");
            Assert.NotNull(options.GetConstructor(Type.EmptyTypes));
        }
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void Every_method_unlearns_a_few_steps_with_its_defaults(string name)
    {
        var method = Create(name, o => o with { Lr = Lr, Steps = 3, BatchSize = 3 });
        using var model = f.Target.Clone();
        var log = UnlearningLoop.Run(model, method, f.Forget, f.Retain, 1, CPU, NullProgressSink.Instance, "u", f.Tokenizer.PadId, tokenizer: f.Tokenizer);
        Assert.Equal(3, log.Count);
        Assert.All(log, l => Assert.True(double.IsFinite(l.Loss), $"{name} loss {l.Loss}"));
        double before = f.Nll(f.Target, f.Forget), after = f.Nll(model, f.Forget);
        // Every method makes the real forget answers less likely.
        Assert.True(after > before, $"{name}: forget NLL {before} -> {after}");
    }

    [Theory]
    [InlineData("ga")]
    [InlineData("npo")]
    [InlineData("simnpo")]
    public void The_tricks_change_the_trajectory_of_methods_with_a_forget_nll(string name)
    {
        double Forget(Func<UnlearnOptions, UnlearnOptions> tricks)
        {
            using var model = f.Target.Clone();
            UnlearningLoop.Run(model, Create(name, o => tricks(o with { Lr = Lr, Steps = 3, BatchSize = 4 })), f.Forget, f.Retain, 1, CPU, NullProgressSink.Instance, "u", f.Tokenizer.PadId);
            return f.Nll(model, f.Forget);
        }
        double plain = Forget(o => o), hot = Forget(o => o with { ForgetTemperature = 2 }), selected = Forget(o => o with { TokenLossFraction = 0.5 });
        Assert.NotEqual(plain, hot, 6);
        Assert.NotEqual(plain, selected, 6);
    }
}
