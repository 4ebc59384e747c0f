using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>
/// GPT-2's "Conv1D": a linear layer whose weight is stored transposed, [in, out], as in the original
/// TensorFlow checkpoints; y = x W + b. Keeping that layout lets checkpoints load with no transposition table.
/// </summary>
public sealed class Gpt2Conv1D : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight, bias;

    public Gpt2Conv1D(int inFeatures, int outFeatures, Device? device = null) : base("Conv1D")
    {
        weight = new Parameter(torch.empty(inFeatures, outFeatures, device: device));
        bias = new Parameter(torch.zeros(outFeatures, device: device));
        using (torch.no_grad()) nn.init.normal_(weight, 0.0, 0.02);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight.t(), bias);
}
