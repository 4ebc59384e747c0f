using DslUnlearn.Torch;

namespace DslUnlearn.Models;

/// <summary>When and how the families checkpoint a decoder layer (see <see cref="GradientCheckpoint"/>).</summary>
internal static class Checkpointing
{
    /// <summary>Only while training with a graph and without a KV cache (generation never checkpoints).</summary>
    public static bool Applies(bool enabled, nn.Module module, AttentionContext context)
        => enabled && module.training && context.Cache is null && torch.is_grad_enabled();

    public static Tensor Layer(nn.Module layer, Func<Tensor, Tensor?[], Tensor> body, Tensor x, Tensor?[] extras)
        => GradientCheckpoint.Run(body, x, extras, layer.parameters().ToArray());
}
