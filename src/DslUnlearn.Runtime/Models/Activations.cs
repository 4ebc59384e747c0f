using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>The GELU activations of GPT-2 and Phi MLPs, chosen by the config's activation name.</summary>
internal static class Gelu
{
    /// <summary>gelu_new / gelu_pytorch_tanh use the tanh approximation; "gelu" is the exact erf form.</summary>
    public static Tensor Apply(Tensor x, string activation) => activation == "gelu"
        ? nn.functional.gelu(x)
        : nn.functional.gelu(x, GELU.Approximate.tanh);
}
