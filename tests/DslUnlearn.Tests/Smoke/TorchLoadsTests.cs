using TorchSharp;
namespace DslUnlearn.Tests.Smoke;
public class TorchLoadsTests
{
    [Fact]
    public void Libtorch_loads_and_computes()
    {
        using var t = torch.ones(2, 3);
        Assert.Equal(6f, t.sum().item<float>());
    }
}
