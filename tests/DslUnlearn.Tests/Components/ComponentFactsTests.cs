using DslUnlearn.Attacks;
using DslUnlearn.Components;

namespace DslUnlearn.Tests.Components;

/// <summary>Test-only attack: it shows that a fact declared on an attribute in another assembly is found by name.</summary>
[Attack("test_only_view", PreservesKnowledge = true)]
public sealed class TestOnlyViewAttack(NoOptions options) : IAttack
{
    public NoOptions Options => options;
    public AttackResult Apply(AttackContext context) => throw new NotSupportedException("test-only component");
}

public class ComponentFactsTests
{
    [Fact]
    public void Metric_direction_comes_from_the_metric_attribute()
    {
        static bool AttributeSays(string name) => ComponentFacts.Metric(name)?.LowerIsBetter ?? false;
        Assert.True(AttributeSays("nll"));
        Assert.True(AttributeSays("perplexity"));
        foreach (var name in new[] { "es_exact", "em", "answer_prob", "rouge_l_recall", "truth_ratio", "mia_loss", "no_such_metric" })
            Assert.False(AttributeSays(name), name);
        Assert.True(MetricDirection.FromAttribute(new NllMetric(new AnswerOptions())));
        Assert.False(MetricDirection.FromAttribute(new EsExactMetric(new NoOptions())));
    }

    [Fact]
    public void Knowledge_preservation_comes_from_the_attack_attribute()
    {
        Assert.True(AttackFacts.PreservesKnowledge(new JailbreakAttack(new JailbreakOptions())));
        Assert.True(AttackFacts.PreservesKnowledge(new TokenNoiseAttack(new TokenNoiseOptions())));
        Assert.True(AttackFacts.PreservesKnowledge(new ProbeAttack(new ProbeOptions())));
        Assert.False(AttackFacts.PreservesKnowledge(new RelearnAttack(new RelearnOptions())));
        Assert.False(AttackFacts.PreservesKnowledge(new QuantizeAttack(new QuantizeOptions())));
        Assert.True(AttackFacts.PreservesKnowledge(new TestOnlyViewAttack(new NoOptions())));
        Assert.True(ComponentFacts.Attack("test_only_view")!.PreservesKnowledge);
        Assert.False(ComponentFacts.Attack("relearn")!.PreservesKnowledge);
        Assert.Null(ComponentFacts.Attack("no_such_attack"));
    }
}
