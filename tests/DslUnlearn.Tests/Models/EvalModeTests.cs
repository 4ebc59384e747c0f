namespace DslUnlearn.Tests.Models;

/// <summary>EvalMode turns dropout off while it lives and gives the module back the mode it had, either one.</summary>
public sealed class EvalModeTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_module_is_in_eval_mode_inside_and_in_its_own_mode_after(bool training)
    {
        using var model = TinyModels.Create("llama");
        model.Module.train(training);
        using (new EvalMode(model.Module))
        {
            Assert.False(model.Module.training);
            Assert.All(model.Module.modules(), m => Assert.False(m.training));
        }
        Assert.Equal(training, model.Module.training);
        Assert.All(model.Module.modules(), m => Assert.Equal(training, m.training));
    }
}
