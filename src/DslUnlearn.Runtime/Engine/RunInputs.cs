using DslUnlearn.Checkpoints;
using DslUnlearn.Data;
using DslUnlearn.Models;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Text;

namespace DslUnlearn.Engine;

/// <summary>
/// Turns a spec's <c>data</c> and <c>model</c> sections into data, a tokenizer and a model factory:
/// the built-in synthetic authors or TOFU from a folder; the tiny Llama preset or a Hugging Face
/// checkpoint folder (config.json + safetensors + tokenizer files).
/// </summary>
public static class RunInputs
{
    /// <summary>Where a run's model comes from.</summary>
    /// <param name="Key">What identifies the initial model in artifact keys (config, and the weight files' sizes and SHA-256 for checkpoints).</param>
    /// <param name="CreateInitial">The model before fine-tuning: seeded random init, or the checkpoint's weights.</param>
    /// <param name="CreateEmpty">Same architecture, weights to be loaded by the caller.</param>
    public sealed record ModelSourceInfo(ITokenizer Tokenizer, int MaxPositions, string Description, string? Checkpoint, JsonNode Key,
        Func<ICausalLM> CreateInitial, Func<ICausalLM> CreateEmpty)
    {
        /// <summary>The model as summary.md describes it (family, layers, hidden size, source), without the parameter count.</summary>
        public string Summary { get; init; } = Description;
    }

    /// <summary>The run's splits (forget, retain-train, retain-eval, holdout, auxiliary; docs/evaluation-protocol.md).</summary>
    public static QaDataset LoadData(ExperimentSpec spec)
    {
        CheckRanges(spec, "top level", spec);
        CheckRanges(spec, "data", spec.Data);
        if (spec.Testbed is { } testbed)
        {
            CheckRanges(spec, "testbed", testbed);
            CheckRanges(spec, "testbed.pretrain", testbed.Pretrain);
        }
        if (spec.MetaEval is { } metaEval) CheckRanges(spec, "meta_eval.utility", metaEval.Utility);
        var data = spec.Data.Source switch
        {
            DataSource.Synthetic => SyntheticAuthors.Generate(spec.Data),
            DataSource.Biographies => Data.Testbed.TestbedInputs.For(spec).Data,
            DataSource.Tofu => TofuData.LoadBenchmark(
                ResolvePath(spec.Data.Path ?? throw new InvalidOperationException($"{spec.SourceFile}: data.source tofu needs data.path (the folder with TOFU's JSON Lines files)."), spec, "data.path"),
                spec.Data.Split ?? "forget10").ToDataset(spec.Data.RetainAuthors, spec.Data.RetainEvalAuthors, spec.Data.HoldoutAuthors ?? 0, $"{spec.SourceFile}: data"),
            _ => throw new NotSupportedException($"{spec.SourceFile}: data.source {spec.Data.Source} is not supported."),
        };
        if (spec.Data.Holdout is { } holdout)
            data = data with { Holdout = TofuData.LoadFile(ResolvePath(holdout, spec, "data.holdout"), "holdout") };
        MetricNeedsCheck.Check(spec, data);
        return data;
    }

    /// <param name="runTokenizer">The run's tokenizer when it is already built (a faithfulness pool size: the spec's with another <c>model:</c>), else built here.</param>
    public static ModelSourceInfo ModelSource(ExperimentSpec spec, ITokenizer? runTokenizer = null)
    {
        CheckRanges(spec, "model", spec.Model);
        if (spec.Model.Checkpoint is { } checkpoint)
        {
            string folder = ResolvePath(checkpoint, spec, "model.checkpoint");
            string configJson = File.ReadAllText(Path.Combine(folder, "config.json"));
            var config = CausalLMFactory.ParseConfig(configJson, Path.Combine(folder, "config.json"));
            var tokenizer = TokenizerFactory.FromFolder(folder);
            var files = Checkpoint.WeightFiles(folder);
            var key = new JsonObject
            {
                ["config"] = JsonNode.Parse(configJson),
                ["weights"] = new JsonArray(files.Select(f => (JsonNode?)new JsonObject { ["file"] = Path.GetFileName(f), ["bytes"] = new FileInfo(f).Length, ["sha256"] = Engine.FileHashCache.Sha256(f) }).ToArray()),
            };
            using var probe = CausalLMFactory.Create(config, TorchSharp.torch.device("meta"));
            int maxPositions = probe.MaxPositions;
            return new ModelSourceInfo(tokenizer, maxPositions, $"{probe.Family} checkpoint {checkpoint}", checkpoint, key,
                () => Checkpoint.Load(folder), () => CausalLMFactory.Create(config))
            {
                Summary = $"{probe.Family} ({config.Architecture}) from checkpoint `{checkpoint}`, {Layers(config.NumLayers)}, hidden {config.HiddenSize}, vocabulary {config.VocabSize}",
            };
        }

        ITokenizer builtin = runTokenizer ?? (spec.Testbed is null ? new CharTokenizer() : Data.Testbed.TestbedInputs.For(spec).Tokenizer);
        var llama = new LlamaConfig(builtin.VocabSize, spec.Model.HiddenSize, spec.Model.Layers, spec.Model.Heads,
            spec.Model.KvHeads, spec.Model.IntermediateSize, spec.Model.MaxSeqLen, spec.Model.RopeTheta, spec.Model.RmsNormEps).Validate();
        return new ModelSourceInfo(builtin, spec.Model.MaxSeqLen, spec.Model.Preset, null, Engine.CanonicalJson.FromObject(llama)!,
            () => new LlamaForCausalLM(llama), () => new LlamaForCausalLM(llama))
        {
            Summary = $"{spec.Model.Preset}, {Layers(spec.Model.Layers)}, hidden {spec.Model.HiddenSize}",
        };
    }

    private static string Layers(int n) => n == 1 ? "1 layer" : $"{n} layers";

    /// <summary>
    /// Throws, before any training, when a text that training or a metric will encode does not fit the model's
    /// positions: the question or its paraphrase with the answer, its paraphrase or any perturbed answer (TOFU's
    /// perturbed answers can be longer than the answer itself). Names the fix.
    /// </summary>
    public static void CheckFits(ExperimentSpec spec, ModelSourceInfo source, QaDataset data, QaEncoder encoder)
    {
        var (longest, example) = data.All.Select(e => (Length: LongestVariant(e, encoder) - 1, Example: e)).MaxBy(x => x.Length);
        if (example is null || longest <= source.MaxPositions) return;
        string which = $" (author '{example.Author}', question '{Shorten(example.Question)}')";
        throw new InvalidOperationException(source.Checkpoint is null
            ? $"{spec.SourceFile}: the longest QA text needs {longest} positions{which} but model.max_seq_len is {spec.Model.MaxSeqLen}; raise model.max_seq_len to at least {longest}."
            : $"{spec.SourceFile}: the longest QA text needs {longest} positions{which} but the checkpoint {source.Checkpoint} allows {source.MaxPositions}; use shorter data.");
    }

    /// <summary>Tokens of the longest (question or paraphrase) x (answer, paraphrased or perturbed answer) encoding.</summary>
    private static int LongestVariant(QaExample e, QaEncoder encoder)
    {
        var answers = new List<string>(2 + e.PerturbedAnswers.Count) { e.Answer };
        if (e.ParaphrasedAnswer is { } paraphrased) answers.Add(paraphrased);
        answers.AddRange(e.PerturbedAnswers);
        int promptIds = Math.Max(encoder.Encode(e with { Answer = "" }).Ids.Length,
            e.ParaphrasedQuestion is null ? 0 : encoder.Encode(e with { Answer = "" }, paraphrased: true).Ids.Length);
        int answerIds = answers.Max(a => encoder.Tokenizer.Encode(a).Length);
        return promptIds + answerIds;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";

    /// <summary>
    /// Spec paths are written relative to the repository root by the generator; runs start there
    /// (README commands), but a run from elsewhere inside the repository still finds them.
    /// </summary>
    /// <summary>
    /// A section's values against the ranges its <c>[Option]</c>s declare, the declaration the generator checks YAML
    /// against, so a spec built in C# gets the build's message at run time (docs/spec-keys.md).
    /// </summary>
    private static void CheckRanges(ExperimentSpec spec, string section, object values)
    {
        var problems = Components.OptionRanges.Problems(values);
        if (problems.Count > 0) throw new ArgumentException($"{spec.SourceFile}: {section}: {string.Join("; ", problems)}");
    }

    public static string ResolvePath(string path, ExperimentSpec spec, string key)
    {
        if (Path.IsPathRooted(path)) return Exists(path) ? path : throw Missing(path, spec, key);
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.GetFullPath(Path.Combine(dir.FullName, path));
            if (Exists(candidate)) return candidate;
            if (File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln"))) break;
        }
        throw Missing(path, spec, key);
    }

    private static bool Exists(string p) => Directory.Exists(p) || File.Exists(p);

    private static FileNotFoundException Missing(string path, ExperimentSpec spec, string key)
        => new($"{spec.SourceFile}: {key} '{path}' was not found (paths are relative to the repository root; run from the repository root or give an absolute path).", path);
}
