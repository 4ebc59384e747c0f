namespace DslUnlearn.Tests.Metrics;

public class ExtractionStrengthTests
{
    private static readonly long[] Answer = [5, 6, 7, 8, 9];

    [Fact]
    public void All_tokens_match_gives_es_one_and_em_one()
    {
        Assert.Equal(1.0, ExtractionStrength.FromPredictions(Answer, Answer));
        Assert.Equal(1.0, ExtractionStrength.ExactMemorization(Answer, Answer));
    }

    [Fact]
    public void One_early_mismatch_needs_that_token_as_prefix()
    {
        long[] predicted = [5, 0, 7, 8, 9];             // position 1 wrong -> k* = 2
        Assert.Equal(1.0 - 2.0 / 5, ExtractionStrength.FromPredictions(predicted, Answer), 12);
        Assert.Equal(4.0 / 5, ExtractionStrength.ExactMemorization(predicted, Answer), 12);
    }

    [Fact]
    public void Last_token_mismatch_gives_the_one_token_floor_by_default_and_zero_without_it()
    {
        long[] predicted = [5, 6, 7, 8, 0];             // k* = |y|: OpenUnlearning stops at k = |y|-1 -> ES = 1/|y|
        Assert.Equal(1.0 / 5, ExtractionStrength.FromPredictions(predicted, Answer), 12);
        Assert.Equal(0.0, ExtractionStrength.FromPredictions(predicted, Answer, zeroFloor: true));
        Assert.Equal(4.0 / 5, ExtractionStrength.ExactMemorization(predicted, Answer), 12);
    }

    [Fact]
    public void First_token_only_mismatch_gives_es_of_all_but_one()
    {
        long[] predicted = [0, 6, 7, 8, 9];
        Assert.Equal(1.0 - 1.0 / 5, ExtractionStrength.FromPredictions(predicted, Answer), 12);
    }

    [Fact]
    public void Hand_built_logits_with_prompt_padding_and_eos()
    {
        // Two rows, vocab 10, seq 6. Row 0: prompt positions 0-1 masked, answer [3,4,5] at 2-4, EOS label at 5.
        // Row 1: answer [7,8] at 1-2, EOS at 3, padding after.
        const int V = 10;
        var logits = new float[2 * 6 * V];
        void Argmax(int row, int pos, int token) => logits[(row * 6 + pos) * V + token] = 5f;
        Argmax(0, 2, 3); Argmax(0, 3, 9); Argmax(0, 4, 5);   // row 0: middle answer token wrong -> k* = 2 of 3
        Argmax(1, 1, 7); Argmax(1, 2, 8);                    // row 1: all right (EOS prediction ignored)
        long[] labels =
        [
            -100, -100, 3, 4, 5, 2,
            -100, 7, 8, 2, -100, -100,
        ];
        using var l = torch.tensor(logits, [2, 6, V]);
        using var y = torch.tensor(labels, [2, 6]);
        var (es, em) = ExtractionStrength.FromLogits(l, y, [3, 2]);
        Assert.Equal([1.0 - 2.0 / 3, 1.0], es);
        Assert.Equal([2.0 / 3, 1.0], em);
    }

    [Fact]
    public void Empty_answer_or_length_mismatch_is_an_error_not_a_number()
    {
        Assert.Throws<ArgumentException>(() => ExtractionStrength.FromPredictions([], []));
        Assert.Throws<ArgumentException>(() => ExtractionStrength.FromPredictions([1, 2], [1]));
    }
}
