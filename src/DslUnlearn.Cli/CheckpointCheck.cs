using DslUnlearn.Generators.Dsl;
using DslUnlearn.Specs;

namespace DslUnlearn.Cli;

/// <summary>
/// `validate`'s check of the Hugging Face checkpoint a spec names, which the build cannot make (a source generator may not
/// read files outside its inputs, and the folder need not exist where the build runs): the folder exists and holds config.json,
/// then what the run reads first (RunInputs.ModelSource), each by the runtime's own reader:
/// <see cref="DslUnlearn.Models.CausalLMFactory.ParseConfig"/> (a supported model_type, then the family's FromJson and
/// Validate, which hold the head rules of Models/HeadRules.cs), <see cref="DslUnlearn.Text.TokenizerFactory.FromFolder"/>
/// (with its end-of-sequence token), <see cref="DslUnlearn.Checkpoints.Checkpoint.WeightFiles"/> and each file's
/// <see cref="DslUnlearn.Checkpoints.Safetensors.ReadHeader"/> (headers only: no tensor is read, so validate stays fast).
/// No rule is restated here. Each problem is DSLU0029 at the YAML value of <c>model.checkpoint</c> (in the base file when
/// it is written there). <c>model.checkpoint</c> is the only key that names a checkpoint: the other <c>[Option(Path)]</c>s
/// are <c>data.path</c> (TOFU's folder) and <c>data.holdout</c> (a JSON Lines file).
/// </summary>
internal static class CheckpointCheck
{
    public static readonly SpecDescriptor BadCheckpoint = new(SpecDiagnosticIds.BadCheckpoint, "Bad model checkpoint", "{0}",
        "The folder model.checkpoint names is missing, or its config.json does not parse, names a model_type the runtime does not build, " +
        "or breaks that family's rules, or its tokenizer or weight files cannot be read (the runtime's own checks). " +
        "Reported by dslunlearn validate only: the build cannot read the folder.");

    private static readonly string Section = OptionKeyNames.SnakeCase(nameof(ExperimentSpec.Model));
    private static readonly string Key = OptionKeyNames.SnakeCase(nameof(ModelSpec.Checkpoint));
    private static string Label => Section + "." + Key;

    /// <summary>One checked checkpoint: its problems, and on success what the run will build from it.</summary>
    internal sealed record Result(IReadOnlyList<SpecDiagnostic> Diagnostics, string? Summary);

    /// <summary>The checkpoint of a compiled spec (none: null); <paramref name="dataRootsGiven"/> says whether --data-root was passed.</summary>
    public static Result? Check(string file, string text, ExperimentModel model, SpecContext context, bool dataRootsGiven)
    {
        if ((model.Spec.Get(nameof(ExperimentSpec.Model)) as SpecObject)?.Get(nameof(ModelSpec.Checkpoint)) is not SpecString { Value: var resolved })
        {
            return null;
        }

        // The binder wrote the path relative to the repository root, where the run resolves it (RunInputs.ResolvePath).
        var folder = Path.GetFullPath(Path.Combine(context.RepositoryRoot, resolved));
        var (span, written) = Locate(file, text, context) ?? (model.NameLocation.Span, resolved);
        var at = $"{Label} '{written}'";
        List<SpecDiagnostic> Fail(string message) => [SpecDiagnostic.Create(BadCheckpoint, file, span, message)];

        if (File.Exists(folder))
        {
            return new(Fail($"{at} names {Display(folder)}, a file; point it at the checkpoint folder (the one holding config.json)"), null);
        }

        if (!Directory.Exists(folder))
        {
            return new(Fail($"{at} names the folder {Display(folder)}, which does not exist; {MissingFix(folder, context, dataRootsGiven)}"), null);
        }

        var configPath = Path.Combine(folder, "config.json");
        var config = Display(configPath);
        string json;
        try
        {
            json = File.ReadAllText(configPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new(Fail($"{at}: {config} does not exist; a Hugging Face checkpoint folder holds config.json beside model.safetensors " +
                "and the tokenizer files (as transformers' save_pretrained writes them): point model.checkpoint at such a folder"), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(Fail($"{at}: {config} cannot be read ({e.Message}); make it readable"), null);
        }

        // Then what the run reads, in its order (RunInputs.ModelSource): config.json, the tokenizer, the weight files. The
        // three are independent, so a folder's problems are all reported at once.
        var diagnostics = new List<SpecDiagnostic>();
        void Report(string message) => diagnostics.Add(SpecDiagnostic.Create(BadCheckpoint, file, span, message));
        DslUnlearn.Models.ICausalLMConfig? parsed = null;
        try
        {
            parsed = DslUnlearn.Models.CausalLMFactory.ParseConfig(json, config);
        }
        catch (DslUnlearn.Models.ModelConfigException e)
        {
            // config.json's reads name the file already; the family's Validate does not (its callers add it).
            foreach (var p in e.Problems)
                Report($"{at}: {(p.StartsWith(config + ": ", StringComparison.Ordinal) ? p : config + ": " + p).TrimEnd('.')}" +
                    "; fix config.json, or point model.checkpoint at another checkpoint folder");
        }

        // The readers get the folder as messages show it (config.json's too), so their messages name it the same way.
        var shown = Display(folder);
        var tokenizer = ReadTokenizer(shown, problem => Report($"{at}: {problem}; {TokenizerFix}"));
        var weights = ReadWeights(shown, problem => Report($"{at}: {problem}; {WeightsFix}"));
        if (diagnostics.Count > 0 || parsed is null || tokenizer is null || weights is null)
        {
            return new(diagnostics, null);
        }

        var kind = (tokenizer as DslUnlearn.Text.HfTokenizer)?.Kind ?? tokenizer.GetType().Name;
        var names = weights.Count == 1 ? Path.GetFileName(weights[0].Path) : $"{weights.Count} shards";
        return new([], $"{Label} '{written}': {parsed.ModelType} ({parsed.Architecture}), {parsed.NumLayers} layer(s), hidden {parsed.HiddenSize}, " +
            $"vocabulary {parsed.VocabSize}, {parsed.MaxPositions} positions; tokenizer {kind} ({tokenizer.VocabSize} ids, end of sequence {tokenizer.EosId}); " +
            $"weights {names} ({weights.Sum(h => h.Entries.Count)} tensor(s), headers read)");
    }

    private const string TokenizerFix = "add or fix the tokenizer files the checkpoint was saved with, or point model.checkpoint at another checkpoint folder";
    private const string WeightsFix = "add or fix the weight files the checkpoint was saved with, or point model.checkpoint at another checkpoint folder";

    /// <summary>
    /// The run's tokenizer (<see cref="DslUnlearn.Text.TokenizerFactory.FromFolder"/>: the file it picks, the special tokens
    /// of tokenizer_config.json and special_tokens_map.json, the end-of-sequence token it needs); null after a problem.
    /// </summary>
    private static DslUnlearn.Text.ITokenizer? ReadTokenizer(string folder, Action<string> report)
    {
        try
        {
            return DslUnlearn.Text.TokenizerFactory.FromFolder(folder);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException))
        {
            // Whatever the reader throws, the run throws too; not every library error (a tiktoken file's) names the file.
            report(Named(e.Message, folder));
            return null;
        }
    }

    /// <summary>
    /// The run's weight files (<see cref="DslUnlearn.Checkpoints.Checkpoint.WeightFiles"/>: model.safetensors or the index's
    /// shards, pickles refused) and each file's header (<see cref="DslUnlearn.Checkpoints.Safetensors.ReadHeader"/>: the
    /// length field, the JSON, every tensor's dtype, shape and offsets against the file's length). The tensor data is not
    /// read: that tensor names and shapes fit config.json is checked by <see cref="DslUnlearn.Checkpoints.Checkpoint.LoadWeights"/>
    /// only, against a built model and on the way to reading every tensor, so it stays the run's. Null after a problem.
    /// </summary>
    private static IReadOnlyList<DslUnlearn.Checkpoints.SafetensorsHeader>? ReadWeights(string folder, Action<string> report)
    {
        IReadOnlyList<string> files;
        try
        {
            files = DslUnlearn.Checkpoints.Checkpoint.WeightFiles(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            report(Named(e.Message, folder));
            return null;
        }

        var headers = new List<DslUnlearn.Checkpoints.SafetensorsHeader>();
        foreach (var path in files)
        {
            try
            {
                headers.Add(DslUnlearn.Checkpoints.Safetensors.ReadHeader(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                report(Named(e.Message, path));
            }
        }

        return headers.Count == files.Count ? headers : null;
    }

    /// <summary>The runtime's message without its final period, led by <paramref name="path"/> when it does not name it.</summary>
    private static string Named(string message, string path)
    {
        message = message.TrimEnd().TrimEnd('.');
        return message.Contains(path, StringComparison.Ordinal) ? message : $"{path}: {message}";
    }

    /// <summary>Where the folder would be, and how to put it there or name another root.</summary>
    private static string MissingFix(string folder, SpecContext context, bool dataRootsGiven)
    {
        var path = PathText.Normalize(folder);
        var root = context.AllowedRoots.Skip(1).FirstOrDefault(r => PathText.IsInside(path, r));
        const string Put = "put the checkpoint there (config.json, model.safetensors and the tokenizer files) or correct the path (relative to the spec file)";
        if (root is null)
        {
            return Put;
        }

        return dataRootsGiven
            ? $"it lies under the data root {Display(root)} given with --data-root: {Put}"
            : $"it lies under the default data root {Display(root)} ({SpecContext.DefaultDataRoot}; no --data-root was given): {Put}, " +
              "or, where checkpoints live in another folder, write that path and pass the folder with --data-root DIR " +
              "(the build: MSBuild property DslUnlearnDataRoots)";
    }

    /// <summary>The value node of model.checkpoint after composition (extends, use:, ${...}), with the text written there.</summary>
    private static (SourceSpan Span, string Written)? Locate(string file, string text, SpecContext context)
    {
        var ignored = new List<SpecDiagnostic>(); // the compile reported them; the spec compiled, so there are none that matter
        if (YamlReader.Read(text, file, ignored, out var syntaxError) is not YamlMapping root || syntaxError)
        {
            return null;
        }

        var composed = new SpecComposer(context, file, ignored).Compose(root);
        return Entry(composed, Section)?.Value is YamlMapping model && Entry(model, Key)?.Value is YamlScalar value
            ? (value.Span, value.Value.Trim())
            : null;
    }

    private static YamlEntry? Entry(YamlMapping map, string key) => map.Entries.FirstOrDefault(e => e.Key.Value == key);

    private static string Display(string path) => ValidateCommand.Display(path);
}
