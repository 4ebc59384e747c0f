using TorchSharp.Modules;

namespace DslUnlearn.Torch;

/// <summary>
/// Gradient checkpointing of one block (TorchSharp 0.107 has no checkpoint primitive, so it is built on its
/// custom autograd functions): the forward runs without a graph and keeps only the block's input; the backward
/// recomputes the block with a graph and back-propagates through it (the "reentrant" scheme of PyTorch's
/// torch.utils.checkpoint), so parameter gradients accumulate into <c>.grad</c> exactly as without checkpointing.
/// Activation memory falls from every intermediate of every layer to one hidden state per layer plus one
/// layer's intermediates. The block must be deterministic (these models have no dropout).
/// </summary>
public static class GradientCheckpoint
{
    /// <summary>What the backward needs besides the saved tensors.</summary>
    private sealed record Payload(Func<Tensor, Tensor?[], Tensor> Body, int Extras);

    /// <summary>
    /// y = <paramref name="body"/>(x, extras), checkpointed when a graph is being recorded. <paramref name="extras"/>
    /// are inputs without gradient (rotary tables, masks; entries may be null); <paramref name="parameters"/> are
    /// the block's parameters, passed so the node is recorded even when x itself needs no gradient.
    /// </summary>
    public static Tensor Run(Func<Tensor, Tensor?[], Tensor> body, Tensor x, Tensor?[] extras, IReadOnlyList<Parameter> parameters)
    {
        if (!torch.is_grad_enabled() || !(x.requires_grad || parameters.Any(p => p.requires_grad))) return body(x, extras);
        var args = new object?[2 + extras.Length + parameters.Count];
        args[0] = new Payload(body, extras.Length);
        args[1] = x;
        for (int i = 0; i < extras.Length; i++) args[2 + i] = extras[i];
        for (int i = 0; i < parameters.Count; i++) args[2 + extras.Length + i] = parameters[i];
        return Block.apply(args!);
    }

    private sealed class Block : autograd.SingleTensorFunction<Block>
    {
        public override string Name => "DslUnlearnGradientCheckpoint";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var payload = (Payload)vars[0];
            var x = (Tensor)vars[1];
            var extras = Extras(vars, payload.Extras);
            ctx.save_data("payload", payload);
            ctx.save_data("count", vars.Length);
            var saved = new List<Tensor> { x };
            saved.AddRange(extras!);
            ctx.save_for_backward(saved);
            return payload.Body(x, extras); // apply() runs this with the graph off: only x and the extras are kept
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var payload = (Payload)ctx.get_data("payload");
            var saved = ctx.get_saved_variables();
            int count = (int)ctx.get_data("count");
            Tensor gradInput;
            using (var enable = torch.enable_grad())
            using (var scope = torch.NewDisposeScope())
            {
                var x = saved[0].detach().requires_grad_(true);
                var extras = saved.Skip(1).Take(payload.Extras).Select(t => (Tensor?)t).ToArray();
                var output = payload.Body(x, extras);
                // Parameter gradients accumulate into .grad here; the input's gradient is handed back to the engine.
                torch.autograd.backward([output], [gradOutput]);
                gradInput = (x.grad ?? torch.zeros_like(x)).MoveToOuterDisposeScope();
            }
            foreach (var t in saved) t?.Dispose();
            // One entry per argument of apply(): the payload, x, the extras and the parameters; only x gets one here.
            var grads = new List<Tensor>(new Tensor[count]);
            grads[1] = gradInput;
            return grads;
        }

        private static Tensor?[] Extras(object[] vars, int count)
        {
            var extras = new Tensor?[count];
            for (int i = 0; i < count; i++) extras[i] = vars[2 + i] as Tensor;
            return extras;
        }
    }
}
