using TorchSharp.Modules;

namespace DslUnlearn.Models;

/// <summary>Token + learned position embeddings, blocks h.N, final ln_f (Hugging Face's GPT2Model, prefix "transformer.").</summary>
public sealed class Gpt2Model : nn.Module<Tensor, Tensor>
{
    /// <summary>Recompute each decoder layer in the backward pass instead of keeping its activations.</summary>
    public bool GradientCheckpointing { get; set; }

    private readonly Embedding wte, wpe;
    private readonly ModuleList<Gpt2DecoderLayer> h;
    private readonly LayerNorm ln_f;

    public Gpt2Model(Gpt2Config c, Device? device = null) : base("GPT2Model")
    {
        wte = nn.Embedding(c.VocabSize, c.NEmbd, device: device);
        wpe = nn.Embedding(c.NPositions, c.NEmbd, device: device);
        h = new ModuleList<Gpt2DecoderLayer>();
        for (int i = 0; i < c.NLayer; i++) h.Add(new Gpt2DecoderLayer(c, device));
        ln_f = nn.LayerNorm(c.NEmbd, c.LayerNormEpsilon, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        return ln_f.forward(Decode(inputIds, AttentionContext.Create(inputIds, null, null), false)[^1]).MoveToOuterDisposeScope();
    }

    /// <param name="upTo">Run only the first this many layers (a read-out at that layer needs no more); null = all.</param>
    internal List<Tensor> Decode(Tensor inputIds, AttentionContext context, bool allStates, int? upTo = null)
    {
        var x = wte.forward(inputIds).add(wpe.forward(context.Positions), Torch.HeldScalars.One); // wte + wpe, a held alpha
        var states = new List<Tensor> { x };
        bool checkpoint = Checkpointing.Applies(GradientCheckpointing, this, context);
        for (int i = 0; i < (upTo ?? h.Count); i++)
        {
            var block = h[i];
            int index = i;
            x = checkpoint
                ? Checkpointing.Layer(block, (y, e) => block.Forward(y, context with { Mask = e[0] }, index), x, [context.Mask])
                : block.Forward(x, context, i);
            if (allStates) states.Add(x);
        }
        return allStates ? states : [x];
    }

    internal Tensor Norm(Tensor hidden) => ln_f.forward(hidden);
    internal Tensor EmbeddingWeight => wte.weight!;
}
