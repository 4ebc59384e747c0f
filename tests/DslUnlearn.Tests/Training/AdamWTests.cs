using DslUnlearn.Tests.Fixtures;
using DslUnlearn.Training;
using TorchSharp.Modules;

namespace DslUnlearn.Tests.Training;

/// <summary>
/// The runtime's AdamW (<see cref="DslUnlearn.Training.AdamW"/>) against torch.optim.AdamW (tests/fixtures/adamw, torch 1.13) and
/// against TorchSharp's own AdamW, whose step it replaces: same weights and moments, bit for bit, whatever the slice.
/// </summary>
public class AdamWTests
{
    private static float[] Floats(System.Text.Json.JsonElement e) => e.EnumerateArray().Select(x => BitConverter.UInt32BitsToSingle(x.GetUInt32())).ToArray();

    private static void AssertBits(float[] expected, Tensor actual, string what)
    {
        var got = actual.contiguous().view(-1).data<float>().ToArray();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(got[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {got[i]:R}");
    }

    [Theory]
    [InlineData(DslUnlearn.Training.AdamW.DefaultSliceElements)]
    [InlineData(7L)]   // slices that cut every parameter, off any vector width
    [InlineData(1L)]
    public void Updates_match_torch_optim_AdamW_bit_for_bit(long slice)
    {
        var f = Golden.Load("adamw/adamw.json");
        var shapes = f.GetProperty("shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(d => d.GetInt64()).ToArray()).ToArray();
        var initial = f.GetProperty("initial").EnumerateArray().Select(Floats).ToArray();
        var parameters = shapes.Select((s, i) => new Parameter(torch.tensor(initial[i], s))).ToArray();
        var betas = Golden.Doubles(f.GetProperty("betas"));
        var lrs = Golden.Doubles(f.GetProperty("lrs"));
        using var optimizer = new DslUnlearn.Training.AdamW(parameters, lrs[0], f.GetProperty("weight_decay").GetDouble(), betas[0], betas[1], f.GetProperty("eps").GetDouble(), slice);
        var steps = f.GetProperty("grads").EnumerateArray().ToArray();
        Assert.Equal(lrs.Length, steps.Length);
        for (int s = 0; s < steps.Length; s++)
        {
            foreach (var g in optimizer.ParamGroups) g.LearningRate = lrs[s];
            var grads = steps[s].EnumerateArray().Select(Floats).ToArray();
            for (int i = 0; i < parameters.Length; i++) parameters[i].grad = torch.tensor(grads[i], shapes[i]);
            optimizer.step();
        }
        var final = f.GetProperty("final").EnumerateArray().Select(Floats).ToArray();
        for (int i = 0; i < parameters.Length; i++) AssertBits(final[i], parameters[i], $"parameter {i}");
        var state = optimizer.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToArray();
        var m = f.GetProperty("exp_avg").EnumerateArray().Select(Floats).ToArray();
        var v = f.GetProperty("exp_avg_sq").EnumerateArray().Select(Floats).ToArray();
        for (int i = 0; i < parameters.Length; i++)
        {
            Assert.Equal(steps.Length, state[i].step);
            AssertBits(m[i], state[i].exp_avg, $"exp_avg {i}");
            AssertBits(v[i], state[i].exp_avg_sq, $"exp_avg_sq {i}");
        }
        foreach (var p in parameters) p.Dispose();
    }

    [Fact]
    public void Matches_TorchSharp_AdamW_on_a_model_and_restores_its_checkpoints()
    {
        torch.manual_seed(3);
        using var a = new DslUnlearn.Models.LlamaForCausalLM(new DslUnlearn.Models.LlamaConfig(97, 32, 2, 4, 2, 64, 16, TieWordEmbeddings: true));
        using var b = new DslUnlearn.Models.LlamaForCausalLM(new DslUnlearn.Models.LlamaConfig(97, 32, 2, 4, 2, 64, 16, TieWordEmbeddings: true));
        b.Module.load_state_dict(a.Module.state_dict());
        using var ids = torch.tensor(Enumerable.Range(0, 24).Select(i => (long)(i * 7 % 97)).ToArray(), [2, 12]);
        using var theirs = torch.optim.AdamW(a.Module.parameters(), lr: 1e-2, weight_decay: 0.1);
        using var ours = new DslUnlearn.Training.AdamW(b.Module.parameters(), 1e-2, 0.1, sliceElements: 1000);
        void Step(DslUnlearn.Models.LlamaForCausalLM model, OptimizerHelper opt)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            model.forward(ids).sum().backward();
            opt.step();
        }
        for (int s = 0; s < 3; s++) { Step(a, theirs); Step(b, ours); }

        // A checkpoint of TorchSharp's optimizer restores into this one (same state class) and the runs stay equal.
        var path = Path.Combine(Path.GetTempPath(), $"adamw-{Guid.NewGuid():N}.bin");
        try
        {
            theirs.save_state_dict(path);
            using var resumed = new DslUnlearn.Training.AdamW(b.Module.parameters(), 1e-2, 0.1, sliceElements: 1000);
            resumed.load_state_dict(path);
            var stats = DisposeScopeManager.Statistics;
            stats.Reset();
            for (int s = 0; s < 2; s++) { Step(a, theirs); Step(b, resumed); }
            Assert.Equal(0, stats.ThreadTotalLiveCount);
            // And the other way round: this optimizer's checkpoint restores into TorchSharp's.
            resumed.save_state_dict(path);
            using var back = torch.optim.AdamW(a.Module.parameters(), lr: 1e-2, weight_decay: 0.1);
            back.load_state_dict(path);
        }
        finally { File.Delete(path); }
        var pa = a.Module.parameters().ToArray();
        var pb = b.Module.parameters().ToArray();
        Assert.Equal(pa.Length, pb.Length);
        for (int i = 0; i < pa.Length; i++) AssertBits(pa[i].data<float>().ToArray(), pb[i], $"parameter {i}");
    }
}
