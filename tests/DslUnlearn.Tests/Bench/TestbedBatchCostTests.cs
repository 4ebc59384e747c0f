using DslUnlearn.Bench;

namespace DslUnlearn.Tests.Bench;

/// <summary>testbed-check's pretrain_batch_cost: the shapes the trainer pads to, on rows whose answer is known by hand.</summary>
public class TestbedBatchCostTests
{
    private static EncodedQa[] Rows(params int[] lengths) => lengths.Select(l => new EncodedQa(new int[l], 1, l - 1)).ToArray();

    [Fact]
    public void One_batch_pads_every_row_to_the_longest_and_batches_of_one_pad_nothing()
    {
        var rows = Rows(2, 4, 6, 12);
        var whole = TestbedAcceptance.PretrainBatchCost(rows, batchSize: 4);
        Assert.Equal(24, whole["tokens"]!.GetValue<long>());
        Assert.Equal(48, whole["padded_positions"]!.GetValue<double>());          // 4 rows x 12
        Assert.Equal(0.5, whole["padding_share"]!.GetValue<double>());
        Assert.Equal(576, whole["attention_positions_squared"]!.GetValue<double>()); // 4 x 12^2

        var single = TestbedAcceptance.PretrainBatchCost(rows, batchSize: 1);
        Assert.Equal(24, single["padded_positions"]!.GetValue<double>());
        Assert.Equal(0.0, single["padding_share"]!.GetValue<double>());
        Assert.Equal(4 + 16 + 36 + 144, single["attention_positions_squared"]!.GetValue<double>());
    }

    [Fact]
    public void Two_rows_per_batch_average_over_the_shuffles_between_the_best_and_the_worst_pairing()
    {
        // Lengths 1, 1, 9, 9: paired alike, 2x1 + 2x9 = 20 positions; paired across, 2x9 + 2x9 = 36. Any shuffle is one of them.
        var cost = TestbedAcceptance.PretrainBatchCost(Rows(1, 1, 9, 9), batchSize: 2)["padded_positions"]!.GetValue<double>();
        Assert.InRange(cost, 20, 36);
        Assert.NotEqual(20, cost); // 20 shuffles of 4 rows: some pair across (2 of 3 pairings do)
    }
}
