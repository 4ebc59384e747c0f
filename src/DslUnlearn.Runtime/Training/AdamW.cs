using TorchSharp.Modules;

namespace DslUnlearn.Training;

/// <summary>
/// TorchSharp's AdamW with a step that holds at most one small temporary at a time. TorchSharp's own step runs every
/// parameter inside one dispose scope and builds the denominator out of place (<c>(v.sqrt() / c).add_(eps)</c>), so
/// two parameter-sized temporaries per parameter stay alive until the step ends: 8 extra bytes per parameter at the
/// step's peak (measured in `bench --scale`, docs/model-scale.md). Here each parameter is updated in slices of at most
/// <see cref="SliceElements"/> elements, each in its own scope, with the denominator built in place. The arithmetic is
/// the same element-wise operations in the same order (torch.optim.AdamW's single-tensor update), so the updated
/// weights and moments are bit-identical to TorchSharp's step (<c>AdamWTests</c>). State, options and
/// checkpoints are TorchSharp's (this is a subclass), and the class keeps the name AdamW because TorchSharp writes the
/// optimizer's type name into a checkpoint and refuses another: checkpoints of either class restore into the other.
/// </summary>
public sealed class AdamW : TorchSharp.Modules.AdamW
{
    /// <summary>Largest slice one temporary covers (4M floats = 16 MB): the step's extra memory, whatever the model size.</summary>
    public const long DefaultSliceElements = 1L << 22;

    private readonly long _slice;

    /// <summary>Defaults are torch.optim.AdamW's (and TorchSharp 0.107's <c>optim.AdamW</c>) but for weight decay, which the callers always give.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double lr, double weightDecay, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, long sliceElements = DefaultSliceElements)
        : base(parameters, lr, beta1, beta2, eps, weightDecay)
    {
        if (sliceElements <= 0) throw new ArgumentOutOfRangeException(nameof(sliceElements), sliceElements, "a slice must hold at least one element.");
        _slice = sliceElements;
    }

    /// <summary>The slice length in elements.</summary>
    public long SliceElements => _slice;

    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
            using (torch.enable_grad()) loss = closure();
        using var noGrad = torch.no_grad();
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value;
            double lr = options.LearningRate!.Value, weightDecay = options.weight_decay!.Value;
            if (options.amsgrad == true || options.maximize == true)
                throw new NotSupportedException("This AdamW implements AdamW without amsgrad and maximize; the runtime uses neither.");
            foreach (var param in group.Parameters)
            {
                using var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                double bias1 = 1 - Math.Pow(beta1, state.step), bias2 = 1 - Math.Pow(beta2, state.step);
                // Scalars held for the whole parameter (implicit Scalars finalized mid-call crash TorchSharp, see STACK.md).
                using var decay = (1 - lr * weightDecay).ToScalar();
                using var b1 = beta1.ToScalar();
                using var oneMinusB1 = (1 - beta1).ToScalar();
                using var b2 = beta2.ToScalar();
                using var oneMinusB2 = (1 - beta2).ToScalar();
                using var bias2Sqrt = Math.Sqrt(bias2).ToScalar();
                using var epsilon = eps.ToScalar();
                using var negStep = (-(lr / bias1)).ToScalar();
                long n = param.numel();
                for (long start = 0; start < n; start += _slice)
                {
                    using var scope = torch.NewDisposeScope();
                    long len = Math.Min(_slice, n - start);
                    var p = Slice(param, start, len);
                    var g = Slice(grad, start, len);
                    var m = Slice(state.exp_avg, start, len);
                    var v = Slice(state.exp_avg_sq, start, len);
                    p.mul_(decay);
                    m.mul_(b1).add_(g, alpha: oneMinusB1);
                    v.mul_(b2).addcmul_(g, g, value: oneMinusB2);
                    var denom = v.sqrt();
                    denom.div_(bias2Sqrt).add_(epsilon, DslUnlearn.Torch.HeldScalars.OneInt);
                    p.addcdiv_(m, denom, value: negStep);
                }
            }
        }
        return loss!;
    }

    /// <summary>A flat view of elements [start, start + len) of a contiguous tensor: writes go to the tensor itself.</summary>
    private static Tensor Slice(Tensor t, long start, long len)
    {
        if (!t.is_contiguous()) throw new InvalidOperationException("AdamW updates contiguous parameters, gradients and moments in place; this tensor is not contiguous.");
        return t.view(-1).narrow(0, start, len);
    }
}
