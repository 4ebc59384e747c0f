using DslUnlearn.Pipeline;
using DslUnlearn.Progress;
using DslUnlearn.Tests.Data.Testbed;
using DslUnlearn.Training;
using static DslUnlearn.Tests.Methods.Kit;

namespace DslUnlearn.Tests.Training;

/// <summary>finetune.length_groups / testbed.pretrain.length_groups: a step on its real tokens only.</summary>
public class LengthGroupsTests
{
    private static EncodedQa[] Rows() =>
    [
        Row("Who wrote Ash and the winter?", "Bo Li, in the spring of 1970."),
        Row("Born where?", "In Oslo."),
        Row("Genre?", "Poetry."),
        Row("Which award did she win for her third novel?", "The Kell Prize."),
        Row("Her father?", "A baker from the old town by the river, known to all."),
        Row("Pets?", "Two."),
        Row("Where does she live now, after the move?", "Lyon."),
    ];

    [Fact]
    public void Cuts_minimise_the_padded_positions_and_cover_every_row_once()
    {
        Assert.Equal([3, 5], LengthGroups.Cuts([2, 2, 3, 9, 9], 2));          // {2,2,3} x 3 + {9,9} x 9 = 27
        Assert.Equal([5], LengthGroups.Cuts([4, 4, 4, 4, 4], 3));              // equal lengths: one group, nothing to gain
        Assert.Equal([1, 2, 3], LengthGroups.Cuts([1, 5, 9], 8));              // never more groups than rows
        Assert.Empty(LengthGroups.Cuts([], 4));
        // Against brute force over every cut set of 7 ascending lengths into at most 3 groups.
        int[] lengths = [3, 4, 4, 10, 11, 30, 31];
        long Area(IReadOnlyList<int> ends) { long a = 0; int s = 0; foreach (int e in ends) { a += (long)(e - s) * lengths[e - 1]; s = e; } return a; }
        long best = long.MaxValue;
        for (int i = 1; i <= 7; i++)
            for (int j = i; j <= 7; j++)
            {
                var ends = new[] { i, j, 7 }.Distinct().ToList();
                best = Math.Min(best, Area(ends));
            }
        Assert.Equal(best, Area(LengthGroups.Cuts(lengths, 3)));

        var rows = Rows();
        var groups = LengthGroups.Split(rows, 3);
        Assert.Equal(3, groups.Count);
        Assert.Equal(rows.OrderBy(r => r.Ids.Length), groups.SelectMany(g => g));
        Assert.True(groups.Sum(g => g.Length * (long)g.Max(r => r.Ids.Length)) < rows.Length * (long)rows.Max(r => r.Ids.Length));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void The_loss_and_its_gradients_equal_the_padded_batchs_to_float_tolerance(int groups)
    {
        using var model = TinyModel(seed: 5, layers: 2, hidden: 32);
        Perturb(model);
        var rows = Rows();
        var (padded, paddedGrads) = LossAndGrads(model, () =>
        {
            using var batch = Batch(rows);
            return CausalLmLoss.Nll(model, batch);
        });
        var (grouped, groupedGrads) = LossAndGrads(model, () => CausalLmLoss.NllByLengthGroups(model, rows, groups, torch.CPU, Tokenizer.PadId));
        Assert.Equal(padded, grouped, 1e-5 * Math.Abs(padded));
        Assert.Equal(paddedGrads.Length, groupedGrads.Length);
        for (int p = 0; p < paddedGrads.Length; p++)
        {
            double scale = paddedGrads[p].Max(Math.Abs) + 1e-6;
            for (int i = 0; i < paddedGrads[p].Length; i++) Assert.Equal(paddedGrads[p][i], groupedGrads[p][i], 1e-4 * scale);
        }
        // An independent check of the value: the mean NLL over every row's labelled tokens, in C# doubles.
        using var all = Batch(rows);
        Assert.Equal(Nll(model, all), grouped, 1e-5 * Math.Abs(padded));
    }

    private static (double Loss, float[][] Grads) LossAndGrads(DslUnlearn.Models.ICausalLM model, Func<torch.Tensor> loss)
    {
        foreach (var p in model.Module.parameters()) p.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        var l = loss();
        l.backward();
        var grads = model.Module.parameters().Select(p => p.grad!.data<float>().ToArray()).ToArray();
        return (l.item<float>(), grads);
    }

    [Fact]
    public void Training_with_length_groups_tracks_the_padded_run_and_does_not_leak_tensors()
    {
        var rows = Rows();
        var spec = new FinetuneSpec { Epochs = 2, Lr = 3e-3, BatchSize = 4, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 1 };
        using var a = TinyModel(seed: 7, layers: 2, hidden: 32);
        using var b = TinyModel(seed: 7, layers: 2, hidden: 32);
        double padded = Finetuner.Train(a, rows, spec, 9, torch.CPU, NullProgressSink.Instance, "padded", Tokenizer.PadId);
        DisposeScopeManager.Statistics.Reset();
        double grouped = Finetuner.Train(b, rows, spec with { LengthGroups = 3 }, 9, torch.CPU, NullProgressSink.Instance, "grouped", Tokenizer.PadId);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Equal(padded, grouped, 1e-4 * Math.Abs(padded));
        Assert.Throws<ArgumentException>(() => Finetuner.Train(b, rows, spec with { LengthGroups = 0 }, 9, torch.CPU, NullProgressSink.Instance, "zero", Tokenizer.PadId));
    }

    private static ExperimentSpec Testbed(string root) => TestSpecs.Tiny(root, epochs: 1) with
    {
        Name = "tiny-testbed",
        Data = new DataSpec { Source = DataSource.Biographies, Authors = 5, QaPerAuthor = 5, ForgetAuthors = 1 },
        Testbed = BiographyWorldTests.Spec(attributes: 3, bios: 1, holdout: 1) with
        {
            Pretrain = new FinetuneSpec { Epochs = 1, Lr = 1e-3, BatchSize = 8, WeightDecay = 0, WarmupSteps = 0, MaxGradNorm = 1 },
        },
        Model = TestSpecs.Tiny(root).Model with { HiddenSize = 32, IntermediateSize = 64, MaxSeqLen = 160 },
    };

    [Fact]
    public void Length_groups_enter_the_keys_of_the_stages_they_change_and_only_when_not_1()
    {
        using var dir = new TempDir();
        var o = new RunOptions { OutputRoot = dir.Path };
        var spec = Testbed(dir.Path);
        Dictionary<string, string> Keys(ExperimentSpec s) => StagedExperimentRunner.Plan(s, o).ToDictionary(p => p.Id, p => p.Key);
        var plain = Keys(spec);
        var explicitOne = Keys(spec with { Testbed = spec.Testbed! with { Pretrain = spec.Testbed.Pretrain with { LengthGroups = 1 } }, Finetune = spec.Finetune with { LengthGroups = 1 } });
        Assert.Equal(plain, explicitOne);
        var pre = Keys(spec with { Testbed = spec.Testbed! with { Pretrain = spec.Testbed.Pretrain with { LengthGroups = 4 } } });
        Assert.Equal(plain["init/model"], pre["init/model"]);
        Assert.NotEqual(plain["pretrain/target"], pre["pretrain/target"]);
        Assert.NotEqual(plain["finetune/target"], pre["finetune/target"]);
        var ft = Keys(spec with { Finetune = spec.Finetune with { LengthGroups = 4 } });
        Assert.Equal(plain["pretrain/target"], ft["pretrain/target"]);
        Assert.NotEqual(plain["finetune/target"], ft["finetune/target"]);
    }
}
