using DslUnlearn.Data.Testbed;

namespace DslUnlearn.Tests.Data.Testbed;

/// <summary>Literary circles (testbed-check circle=N): consecutive authors share a birth city and a genre, nothing else moves.</summary>
public class BiographyCirclesTests
{
    private static int Index(string key) => BiographyAttributes.All.ToList().FindIndex(a => a.Key == key);

    [Fact]
    public void Circle_size_0_is_the_world_without_circles()
    {
        var plain = BiographyWorld.Generate(12, 2, BiographyWorldTests.Spec());
        var zero = BiographyWorld.Generate(12, 2, BiographyWorldTests.Spec(), circleSize: 0);
        Assert.Equal(plain.Authors.SelectMany(a => a.Values.Prepend(a.Name)), zero.Authors.SelectMany(a => a.Values.Prepend(a.Name)));
        Assert.Equal(plain.Biographies.SelectMany(b => b), zero.Biographies.SelectMany(b => b));
    }

    [Fact]
    public void Members_of_a_circle_share_city_and_genre_and_every_other_fact_is_the_independent_one()
    {
        var spec = BiographyWorldTests.Spec(attributes: 16, holdout: 4);
        var plain = BiographyWorld.Generate(20, 4, spec);
        var circles = BiographyWorld.Generate(20, 4, spec, circleSize: 4);
        int city = Index("birth_city"), genre = Index("genre"), residence = Index("residence");
        Assert.Equal(["birth_city", "genre"], BiographyWorld.CircleAttributes);
        for (int a = 0; a < circles.Authors.Count; a++)
        {
            var leader = circles.Authors[a / 4 * 4];
            Assert.Equal(leader.Values[city], circles.Authors[a].Values[city]);
            Assert.Equal(leader.Values[genre], circles.Authors[a].Values[genre]);
            Assert.Equal(plain.Authors[a].Name, circles.Authors[a].Name);
            for (int i = 0; i < BiographyWorld.MaxAttributes; i++)
                if (i != city && i != genre && i != residence) Assert.Equal(plain.Authors[a].Values[i], circles.Authors[a].Values[i]);
            // residence is a city too: redrawn only where it would equal the circle's city, so one author's cities still differ
            Assert.NotEqual(circles.Authors[a].Values[city], circles.Authors[a].Values[residence]);
            if (plain.Authors[a].Values[residence] != circles.Authors[a].Values[city])
                Assert.Equal(plain.Authors[a].Values[residence], circles.Authors[a].Values[residence]);
            Assert.Equal(circles.Authors[a].Values.Count, circles.Authors[a].Values.Distinct().Count());
        }
        // The circles draw their own values: 6 circles (holdout authors form one too) do not all share one city or genre.
        Assert.True(circles.Authors.Select(x => x.Values[city]).Distinct().Count() >= 3);
        Assert.True(circles.Authors.Select(x => x.Values[genre]).Distinct().Count() >= 3);
        // The forget authors (16..19) are one circle: their city and genre answers end with the same value.
        var forget = circles.AuthorsWith(AuthorRole.Forget).ToList();
        Assert.Equal([16, 17, 18, 19], forget);
        Assert.Single(forget.Select(f => circles.Qa[f][city].Answer.Split(" in ")[^1]).Distinct());
    }

    [Fact]
    public void Biographies_and_perturbed_answers_follow_the_shared_values()
    {
        var w = BiographyWorld.Generate(6, 2, BiographyWorldTests.Spec(attributes: 8, holdout: 0), circleSize: 2);
        int genre = Index("genre");
        for (int a = 0; a < w.Authors.Count; a++)
        {
            string g = w.Authors[a].Values[genre];
            Assert.All(w.Biographies[a], bio => Assert.Contains(g, bio));
            Assert.EndsWith(g + ".", w.Qa[a][genre].Answer);
            Assert.All(w.Qa[a][genre].PerturbedAnswers, p => Assert.False(p.EndsWith(" " + g + ".", StringComparison.Ordinal), p));
        }
    }

    [Fact]
    public void A_negative_circle_size_is_an_error_naming_the_option()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BiographyWorld.Generate(6, 2, BiographyWorldTests.Spec(), circleSize: -1));
        Assert.Contains("circle=", e.Message);
    }
}
