using System.Text.Json.Nodes;
using DslUnlearn.Bench;

namespace DslUnlearn.Tests.Bench;

/// <summary>testbed-check's verdicts on the relearning criterion: the issue's rise, and the rise beyond the retain control.</summary>
public class TestbedVerdictTests
{
    private static JsonObject Relearn(double lr, double before, double after, double control) => new()
    {
        ["ga_lr"] = lr, ["other_half_before"] = before, ["other_half_after"] = after, ["other_half_after_retain_relearn"] = control,
    };

    [Fact]
    public void A_rise_that_retain_relearning_also_gives_passes_the_issues_wording_but_not_the_control()
    {
        var sweep = new JsonArray(Relearn(1e-4, 0.731, 0.830, 0.771), Relearn(4e-4, 0.341, 0.399, 0.399));
        var r = new JsonObject
        {
            ["attacks"] = new JsonObject(), ["es_perturb"] = new JsonObject { ["forget"] = 0.7, ["retain"] = 0.7 },
            ["relearn_half"] = sweep[0]!.DeepClone(), ["relearn_sweep"] = sweep,
        };
        var v = TestbedAcceptance.Verdicts(r);
        Assert.True(v["relearn_half_raises_other_half"]!.GetValue<bool>());
        Assert.True(v["relearn_half_beyond_retain_control"]!.GetValue<bool>());   // 0.830 > 0.771 + 0.05
        Assert.True(v["relearn_half_raises_other_half@ga_lr=0.0004"]!.GetValue<bool>());  // 0.399 > 0.341 + 0.05
        Assert.False(v["relearn_half_beyond_retain_control@ga_lr=0.0004"]!.GetValue<bool>()); // the control rose as much
        Assert.True(v["es_perturb"]!.GetValue<bool>());
    }
}
