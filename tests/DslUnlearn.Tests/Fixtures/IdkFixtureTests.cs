using DslUnlearn.Methods;
using DslUnlearn.Tests.Metrics;
using DslUnlearn.Text;

namespace DslUnlearn.Tests.Fixtures;

/// <summary>tests/fixtures/idk: idk_po and idk_kl with a one-line IdK list (every row gets it), against TOFU's/OU's definitions.</summary>
public class IdkFixtureTests
{
    [Fact]
    public void Idk_losses_match_the_reference()
    {
        var f = Golden.Load("idk/idk.json");
        Golden.AssertVersions(f);
        BigramLM Model(string key) => Golden.Bigram(f.GetProperty(key));
        EncodedQa[] Rows(string key) => f.GetProperty(key).EnumerateArray()
            .Select(r => new EncodedQa(Golden.Ints(r.GetProperty("ids")), r.GetProperty("prompt_length").GetInt32(), r.GetProperty("answer_length").GetInt32())).ToArray();
        string answers = Path.Combine(Path.GetTempPath(), $"idk-fixture-{Environment.ProcessId}.txt");
        File.WriteAllText(answers, f.GetProperty("idk_answer").GetString() + "\n");
        try
        {
            using var model = Model("W");
            using var reference = Model("W_ref");
            var forgetRows = Rows("forget");
            using var forget = TokenBatch.Collate(forgetRows, CPU, 0);
            using var retain = TokenBatch.Collate(Rows("retain"), CPU, 0);
            var step = new UnlearnStep(model, reference, forget, retain, 0) { ForgetRows = forgetRows, Tokenizer = new CharTokenizer() };
            double L(IUnlearningMethod m) { using var s = torch.NewDisposeScope(); return m.Loss(step).item<float>(); }
            void Near(double e, double a) => Assert.True(Math.Abs(e - a) <= 1e-5 * Math.Max(1, Math.Abs(e)), $"expected {e:R}, got {a:R}");
            Near(f.GetProperty("expected").GetProperty("idk_po").GetDouble(), L(new IdkPo(new IdkOptions { IdkAnswersFile = answers, RetainWeight = 0.5 })));
            Near(f.GetProperty("expected").GetProperty("idk_kl").GetDouble(), L(new IdkKl(new IdkOptions { IdkAnswersFile = answers, RetainWeight = 0.25 })));
        }
        finally { File.Delete(answers); }
    }
}
