using DslUnlearn.Components;
using DslUnlearn.Methods;

namespace DslUnlearn.Tests.Components;

/// <summary>A string option outside its list of values is refused when the component is built, naming the component,
/// the option, the value and the values it takes (the messages as each component wrote them before OptionChoice).</summary>
public sealed class OptionChoiceTests
{
    public static TheoryData<Func<object>, string> Refusals() => new()
    {
        { () => new TruthRatioMetric(new TruthRatioOptions { Aggregation = "mean" }),
            "truth_ratio: unknown aggregation 'mean'; use one of auto, closer_to_1, true_better." },
        { () => new EsBisectionMetric(new EsBisectionOptions { Procedure = "greedy" }),
            "es_bisection: unknown procedure 'greedy'; use one of token, uwc." },
        { () => new EsSimilarMetric(new EsSimilarOptions { Scoring = "rouge" }),
            "es_similar: unknown scoring 'rouge'; use one of answer_recall, uwc." },
        { () => new MiaGradNormMetric(new GradNormOptions { Norm = "l3" }),
            "mia_gradnorm: unknown norm 'l3'; use one of l1, l2, linf." },
        { () => new Rmu(new RmuOptions { Name = "r", Steering = "gauss" }),
            "unlearn 'r' (method rmu): unknown steering 'gauss'; use one of unit, raw." },
        { () => new Rmu(new RmuOptions { RetainLoss = "mse" }),
            "unlearn 'rmu' (method rmu): unknown retain_loss 'mse'; use one of activations, kl, none." },
        { () => new Rmu(new RmuOptions { LayerIndexing = "hf" }),
            "unlearn 'rmu' (method rmu): unknown layer_indexing 'hf'; use one of hidden_states, wmdp." },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void An_unknown_value_names_the_component_option_value_and_choices(Func<object> build, string message)
    {
        var e = Assert.Throws<ArgumentException>(build);
        Assert.Equal("options", e.ParamName);
        Assert.Equal($"{message} (Parameter 'options')", e.Message);
    }

    [Fact]
    public void A_listed_value_is_accepted()
        => OptionChoice.Require("m", "kind", "b", ["a", "b"]);
}
