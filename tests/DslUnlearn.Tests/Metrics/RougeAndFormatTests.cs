namespace DslUnlearn.Tests.Metrics;

public class RougeAndFormatTests
{
    [Fact]
    public void Rouge_tokenization_is_rouge_scores_lowercase_alphanumerics()
    {
        Assert.Equal(["hello", "world", "it", "s", "2024", "caf"], Rouge.Tokenize("Hello, World! it's 2024... Café"));
        Assert.Empty(Rouge.Tokenize(" -- !! "));
    }

    [Fact]
    public void Rouge_l_hand_values()
    {
        var s = Rouge.RougeL("the cat sat on the mat", "The cat, on mat.");   // LCS "the cat on mat" = 4 words
        Assert.Equal(4.0 / 6, s.Recall, 12);
        Assert.Equal(1.0, s.Precision, 12);
        Assert.Equal(0.8, s.F1, 12);
        Assert.Equal(new Rouge.Score(0, 0, 0), Rouge.RougeL("abc", ""));
        Assert.Equal(1.0, Rouge.RougeL("A b c", "a B c").F1);
        Assert.Equal(2, Rouge.Lcs(["a", "b", "c", "d"], ["b", "x", "d"]));
    }

    [Fact]
    public void Open_unlearning_logs_round_trip_with_nan_as_null_and_aggregate_only_metrics()
    {
        var metrics = new Dictionary<string, MetricResult>
        {
            ["extraction_strength"] = new(0.5, [0.25, 0.75]),
            ["forget_quality"] = new(1e-20, null),
            ["broken"] = new(double.NaN, [double.NaN, 1]),
        };
        string json = OpenUnlearningFormat.ToJson(metrics);
        Assert.Contains("\"value_by_index\"", json);
        Assert.Contains("\"0\": {", json);
        Assert.Contains("\"score\": 0.25", json);
        var back = OpenUnlearningFormat.Parse(json);
        Assert.Equal(["extraction_strength", "forget_quality", "broken"], back.Keys);
        Assert.Equal([0.25, 0.75], back["extraction_strength"].ValueByIndex);
        Assert.Equal(1e-20, back["forget_quality"].AggValue);
        Assert.Null(back["forget_quality"].ValueByIndex);
        Assert.True(double.IsNaN(back["broken"].AggValue));
        Assert.True(double.IsNaN(back["broken"].ValueByIndex![0]));
    }

    [Fact]
    public void Reads_open_unlearning_shaped_logs_with_prob_entries_and_sparse_indices()
    {
        const string log = """
            {
              "forget_Q_A_Prob": {"agg_value": 0.4, "value_by_index": {"0": {"prob": 0.3, "avg_loss": 1.2}, "2": {"prob": 0.5, "avg_loss": 0.7}}},
              "forget_quality": {"agg_value": null},
              "config": "not a metric"
            }
            """;
        var m = OpenUnlearningFormat.Parse(log, "TOFU_EVAL.json");
        Assert.Equal(2, m.Count);
        Assert.Equal(3, m["forget_Q_A_Prob"].ValueByIndex!.Count);
        Assert.Equal(0.3, m["forget_Q_A_Prob"].ValueByIndex![0]);
        Assert.True(double.IsNaN(m["forget_Q_A_Prob"].ValueByIndex![1]));
        var e = Assert.Throws<DslUnlearn.Data.DataFileException>(() => OpenUnlearningFormat.Parse("""{"m": {"agg_value": "x"}}""", "log.json"));
        Assert.Contains("log.json: m.agg_value", e.Message);
    }

    [Fact]
    public void Writes_atomically_to_a_file()
    {
        using var dir = new DslUnlearn.Tests.Support.TempDir();
        string path = Path.Combine(dir.Path, "sub", "eval.json");
        OpenUnlearningFormat.Write(path, new Dictionary<string, MetricResult> { ["em"] = new(1, [1]) });
        Assert.Equal(1, OpenUnlearningFormat.Read(path)["em"].AggValue);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
