using System.Reflection;
using DslUnlearn.Components;
using DslUnlearn.Data;
using DslUnlearn.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DslUnlearn.Methods;

/// <summary>The "I don't know"-style answers: the list shipped in Methods/Resources/idk_answers.txt, or a user file.</summary>
public static class IdkAnswers
{
    private const string ResourceName = "DslUnlearn.Methods.Resources.idk_answers.txt";
    private static readonly Lazy<IReadOnlyList<string>> Shipped = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The shipped IdK list ({ResourceName}) is missing from the runtime assembly; rebuild DslUnlearn.Runtime.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "Methods/Resources/idk_answers.txt");
    });

    /// <summary>The shipped list (30 answers).</summary>
    public static IReadOnlyList<string> Default => Shipped.Value;

    /// <summary>The shipped list when <paramref name="path"/> is null or empty, else the answers in that file.</summary>
    public static IReadOnlyList<string> Load(string? path)
    {
        if (string.IsNullOrEmpty(path)) return Default;
        if (!File.Exists(path)) throw new FileNotFoundException($"idk_answers_file '{path}' does not exist (relative paths start at the working directory {Environment.CurrentDirectory}); give an existing text file with one answer per line, or leave the option out to use the shipped list.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>One answer per line; blank lines and lines starting with '#' are skipped.</summary>
    public static IReadOnlyList<string> Parse(string text, string source)
    {
        var answers = text.Split('\n').Select(l => l.TrimEnd('\r').Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        if (answers.Length == 0) throw new ArgumentException($"{source}: no answers found; write one \"I don't know\"-style answer per line ('#' starts a comment).");
        return answers;
    }
}

/// <summary>
/// Builds forget batches whose answers are replaced by IdK answers: the prompt tokens of each forget row are
/// kept, the answer becomes one IdK answer + EOS. The answer of row i at step s is drawn with SplitMix64
/// seeded from (seed, s), so it is the same on every run with the same seed.
/// </summary>
public sealed class IdkBatchBuilder
{
    private readonly ITokenizer _tokenizer;
    private readonly int[][] _answers;
    private readonly ulong _seed;

    public IdkBatchBuilder(ITokenizer tokenizer, IReadOnlyList<string> answers, ulong seed = 0)
    {
        if (answers.Count == 0) throw new ArgumentException("The IdK answer list is empty.", nameof(answers));
        _tokenizer = tokenizer;
        _answers = answers.Select(tokenizer.Encode).ToArray();
        _seed = seed;
    }

    public int Count => _answers.Length;

    /// <summary><paramref name="row"/> with its answer replaced by IdK answer number <paramref name="answer"/>.</summary>
    public EncodedQa Substitute(EncodedQa row, int answer)
    {
        var a = _answers[answer];
        var ids = new int[row.PromptLength + a.Length + 1];
        Array.Copy(row.Ids, ids, row.PromptLength);
        a.CopyTo(ids, row.PromptLength);
        ids[^1] = _tokenizer.EosId;
        return new EncodedQa(ids, row.PromptLength, a.Length);
    }

    /// <summary>Which IdK answer each of the <paramref name="rows"/> rows of step <paramref name="step"/> gets.</summary>
    public int[] Choose(int step, int rows)
    {
        var rng = new SplitMix64(_seed ^ (0x9E3779B97F4A7C15UL * (ulong)(step + 1)));
        return Enumerable.Range(0, rows).Select(_ => rng.Next(_answers.Length)).ToArray();
    }

    /// <summary>The IdK batch for the forget rows of step <paramref name="step"/>.</summary>
    public TokenBatch Build(IReadOnlyList<EncodedQa> rows, int step, Device device)
    {
        var choice = Choose(step, rows.Count);
        return TokenBatch.Collate(rows.Select((r, i) => Substitute(r, choice[i])).ToArray(), device, _tokenizer.PadId);
    }

    /// <summary>The builder for a step: needs the step's tokenizer and forget rows (set by <see cref="UnlearningLoop"/>).</summary>
    internal static TokenBatch ForStep(ref IdkBatchBuilder? cache, UnlearnStep step, string? answersFile, int seed, string method)
    {
        var rows = step.ForgetRows ?? throw new InvalidOperationException($"Method '{method}' needs the forget rows of the step (UnlearnStep.ForgetRows); run it through UnlearningLoop.");
        return ForRows(ref cache, step.Tokenizer, rows, step.StepIndex, step.Forget.InputIds.device, answersFile, seed, method);
    }

    /// <summary>The IdK batch of step <paramref name="stepIndex"/> for these forget rows (what <see cref="ForStep"/> builds).</summary>
    internal static TokenBatch ForRows(ref IdkBatchBuilder? cache, ITokenizer? tokenizer, IReadOnlyList<EncodedQa> rows, int stepIndex, Device device, string? answersFile, int seed, string method)
    {
        if (tokenizer is null) throw new InvalidOperationException($"Method '{method}' replaces forget answers by \"I don't know\" answers and needs the tokenizer: pass tokenizer: to UnlearningLoop.Run.");
        if (cache is null || !ReferenceEquals(cache._tokenizer, tokenizer)) cache = new IdkBatchBuilder(tokenizer, IdkAnswers.Load(answersFile), (ulong)seed);
        return cache.Build(rows, stepIndex, device);
    }
}

public record IdkOptions : UnlearnOptions
{
    /// <summary>Weight of the retain term (NLL for idk_po, KL for idk_kl); 0 = IdK fine-tuning only.</summary>
    [Option(Min = 0)]
    public double RetainWeight { get; init; } = 1.0;
    /// <summary>Text file with one IdK answer per line; empty = the shipped list (Methods/Resources/idk_answers.txt).</summary>
    [Option(Sweepable = false)]
    public string? IdkAnswersFile { get; init; }
    /// <summary>Seed of the per-row choice of IdK answer.</summary>
    [Option(Min = 0)]
    public int IdkSeed { get; init; }
}

/// <summary>IdK-PO: minimise NLL(forget question -> IdK answer) + retain_weight * NLL(retain).</summary>
[UnlearningMethod("idk_po")]
public sealed class IdkPo : IUnlearningMethod
{
    private readonly IdkOptions _options;
    private IdkBatchBuilder? _builder;

    public IdkPo(IdkOptions options)
    {
        Losses.RejectForgetTricks(options, "idk_po");
        _options = options;
    }

    public UnlearnOptions Options => _options;
    public bool NeedsReference => false;
    public bool NeedsRetain => _options.RetainWeight > 0;

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        using var idk = IdkBatchBuilder.ForStep(ref _builder, step, _options.IdkAnswersFile, _options.IdkSeed, "idk_po");
        var loss = Losses.RetainNll(step.Model, idk);
        if (_options.RetainWeight > 0) loss = loss + _options.RetainWeight * Losses.RetainNll(step.Model, Losses.RequireRetain(step, "idk_po"));
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>IdK + KL: minimise NLL(forget question -> IdK answer) + retain_weight * KL(original || current) on retain.</summary>
[UnlearningMethod("idk_kl")]
public sealed class IdkKl : IUnlearningMethod
{
    private readonly IdkOptions _options;
    private IdkBatchBuilder? _builder;

    public IdkKl(IdkOptions options)
    {
        Losses.RejectForgetTricks(options, "idk_kl");
        _options = options;
    }

    public UnlearnOptions Options => _options;
    public bool NeedsReference => _options.RetainWeight > 0;
    public bool NeedsRetain => _options.RetainWeight > 0;

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        using var idk = IdkBatchBuilder.ForStep(ref _builder, step, _options.IdkAnswersFile, _options.IdkSeed, "idk_kl");
        var loss = Losses.RetainNll(step.Model, idk);
        if (_options.RetainWeight > 0)
            loss = loss + _options.RetainWeight * Losses.KlToReference(step.Model, Losses.RequireReference(step, "idk_kl"), Losses.RequireRetain(step, "idk_kl"));
        return loss.MoveToOuterDisposeScope();
    }
}

public record DpoOptions : UnlearnOptions
{
    /// <summary>Inverse temperature of the preference loss.</summary>
    [Option(Min = 0, MinExclusive = true)]
    public double Beta { get; init; } = 0.1;
    /// <summary>Weight of an optional retain NLL term (0 = off).</summary>
    [Option(Min = 0)]
    public double RetainWeight { get; init; }
    /// <summary>Text file with one IdK answer per line; empty = the shipped list.</summary>
    [Option(Sweepable = false)]
    public string? IdkAnswersFile { get; init; }
    /// <summary>Seed of the per-row choice of IdK answer.</summary>
    [Option(Min = 0)]
    public int IdkSeed { get; init; }
}

/// <summary>
/// DPO with the IdK answer preferred and the real answer dispreferred, against the frozen original:
/// mean over rows of -2/beta * logsigmoid(beta * ((log p_theta(idk) - log p_ref(idk)) - (log p_theta(y) - log p_ref(y)))),
/// plus retain_weight * NLL(retain). The forget tricks apply to the real-answer (dispreferred) term.
/// The reference enters only through its per-token NLL on the forget batch and on the IdK batch, so the loop
/// precomputes both (<see cref="ReferenceLogProbs"/>) and trains without the reference model.
/// </summary>
[UnlearningMethod("dpo")]
public sealed class Dpo(DpoOptions options) : IUnlearningMethod
{
    private IdkBatchBuilder? _builder;

    public UnlearnOptions Options => options;
    public bool NeedsReference => true;
    public bool NeedsRetain => options.RetainWeight > 0;
    bool IUnlearningMethod.ReferenceOnlyOnForget => true; // explicit: not a public property, so not in stage keys or the resolved spec

    IEnumerable<TokenBatch> IUnlearningMethod.ReferenceBatches(IReadOnlyList<EncodedQa> forgetRows, int stepIndex, ITokenizer? tokenizer, Device device)
        => [IdkBatchBuilder.ForRows(ref _builder, tokenizer, forgetRows, stepIndex, device, options.IdkAnswersFile, options.IdkSeed, "dpo")];

    public Tensor Loss(UnlearnStep step)
    {
        using var scope = torch.NewDisposeScope();
        using var idk = IdkBatchBuilder.ForStep(ref _builder, step, options.IdkAnswersFile, options.IdkSeed, "dpo");
        // From the precomputed table when the loop made one, else from the reference model (the same call, the same bits).
        var wRef = step.ReferenceCache?.Find(idk, 1.0) ?? Losses.ReferenceTokens(Losses.RequireReference(step, "dpo"), idk);
        var lRef = Losses.ReferenceForgetTokens(step, "dpo", options.ForgetTemperature);
        var loss = PreferenceLoss(step.Model, idk, wRef, step.Forget, lRef, options);
        if (options.RetainWeight > 0) loss = loss + options.RetainWeight * Losses.RetainNll(step.Model, Losses.RequireRetain(step, "dpo"));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The DPO term of OpenUnlearning's compute_dpo_loss: win = the IdK batch, lose = the forget batch (tricks applied to it).</summary>
    public static Tensor PreferenceLoss(Models.ICausalLM model, Models.ICausalLM reference, TokenBatch win, TokenBatch lose, DpoOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var wRef = Losses.ReferenceTokens(reference, win);
        var lRef = Losses.ReferenceTokens(reference, lose, options.ForgetTemperature);
        return PreferenceLoss(model, win, wRef, lose, lRef, options).MoveToOuterDisposeScope();
    }

    /// <summary>The same term given the reference's per-token NLL on <paramref name="win"/> (temperature 1) and on
    /// <paramref name="lose"/> (the forget temperature).</summary>
    public static Tensor PreferenceLoss(Models.ICausalLM model, TokenBatch win, TokenLosses wRef, TokenBatch lose, TokenLosses lRef, DpoOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var w = Losses.PerToken(model.Logits(win.InputIds), win.Labels);
        var l = Losses.ForgetTokens(model, lose, options);
        var winRatio = w.SequenceLogProb() - wRef.SequenceLogProb();
        var loseRatio = l.SequenceLogProb() + (lRef.Nll * l.Mask).sum(1);
        return (-2.0 / options.Beta * nn.functional.logsigmoid(options.Beta * (winRatio - loseRatio)).mean()).MoveToOuterDisposeScope();
    }
}
