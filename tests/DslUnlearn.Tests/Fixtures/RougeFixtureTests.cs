namespace DslUnlearn.Tests.Fixtures;

/// <summary>tests/fixtures/rouge: NLTK's Porter stems of every TOFU word and rouge_score's ROUGE-L with stemming.</summary>
public class RougeFixtureTests
{
    [Fact]
    public void Porter_stems_equal_nltk_on_every_tofu_word()
    {
        var stems = Golden.Load("rouge/porter_stems.json").GetProperty("stems");
        var wrong = stems.EnumerateObject().Where(p => PorterStemmer.Stem(p.Name) != p.Value.GetString())
            .Select(p => $"{p.Name}: nltk {p.Value.GetString()}, here {PorterStemmer.Stem(p.Name)}").ToList();
        Assert.True(stems.EnumerateObject().Count() > 10000);
        Assert.True(wrong.Count == 0, $"{wrong.Count} stems differ:\n{string.Join("\n", wrong.Take(20))}");
    }

    [Fact]
    public void Rouge_l_equals_rouge_score_with_stemming_exactly()
    {
        var f = Golden.Load("rouge/rouge_l.json");
        Golden.AssertVersions(f);
        int n = 0;
        foreach (var p in f.GetProperty("pairs").EnumerateArray())
        {
            var s = Rouge.RougeL(p.GetProperty("reference").GetString()!, p.GetProperty("prediction").GetString()!);
            Assert.Equal(p.GetProperty("recall").GetDouble(), s.Recall);
            Assert.Equal(p.GetProperty("precision").GetDouble(), s.Precision);
            Assert.Equal(p.GetProperty("f1").GetDouble(), s.F1);
            n++;
        }
        Assert.True(n > 100);
    }

    [Fact]
    public void Stemming_lets_inflected_words_match()
    {
        Assert.Equal(1.0, Rouge.RougeL("She writes novels", "she write novel").Recall);
        Assert.Equal(1.0 / 3, Rouge.RougeL("She writes novels", "she write novel", stem: false).Recall, 12);
    }
}
