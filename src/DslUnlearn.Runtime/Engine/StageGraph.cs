using System.Reflection;
using DslUnlearn.Progress;

namespace DslUnlearn.Engine;

/// <summary>
/// One stage of a run: what it is (<see cref="Kind"/>), the resolved options it depends on (canonical JSON of
/// the spec part it reads), the stages whose outputs it reads, and the work that writes its output.
/// </summary>
public sealed class StageDefinition
{
    /// <summary>Unique id within the run, e.g. "finetune/target", "unlearn/ga", "evaluate/ga", "report".</summary>
    public required string Id { get; init; }
    /// <summary>Stage kind: finetune, unlearn, attack, evaluate, calibrate, report, ...</summary>
    public required string Kind { get; init; }
    /// <summary>Everything besides inputs, seed and runtime version that the output depends on.</summary>
    public required JsonNode Options { get; init; }
    public IReadOnlyList<string> Inputs { get; init; } = [];
    /// <summary>Writes the stage's files through <see cref="StageContext.Output"/>.</summary>
    public required Action<StageContext> Execute { get; init; }
    /// <summary>Always rebuilt by `dslunlearn report` (reports are cheap and read only stored artifacts).</summary>
    public bool IsReport { get; init; }
    /// <summary>
    /// The seed of this stage when it is not the graph's (a faithfulness pool member trained with another seed): it
    /// enters the key and seeds the torch RNG instead of <see cref="StageGraph.Seed"/>.
    /// </summary>
    public int? Seed { get; init; }
    /// <summary>
    /// The id this stage has in the spec that builds it as its own (a pool member "finetune/target@seed7" is
    /// "finetune/target" of the spec with seed 7); stages that read it name it so in their key documents, so the two
    /// share one artifact. Null = <see cref="Id"/>.
    /// </summary>
    public string? KeyId { get; init; }
}

/// <summary>Stages in a valid execution order (every input is added before the stage that reads it).</summary>
public sealed class StageGraph(int seed)
{
    private readonly List<StageDefinition> _stages = [];

    public int Seed => seed;
    public IReadOnlyList<StageDefinition> Stages => _stages;

    public StageDefinition this[string id] => _stages.FirstOrDefault(s => s.Id == id)
        ?? throw new KeyNotFoundException($"No stage '{id}' in this run.");

    public bool Contains(string id) => _stages.Any(s => s.Id == id);

    public StageGraph Add(StageDefinition stage)
    {
        if (_stages.Any(s => s.Id == stage.Id)) throw new ArgumentException($"Stage id '{stage.Id}' is used twice.", nameof(stage));
        foreach (var input in stage.Inputs)
            if (!_stages.Any(s => s.Id == input))
                throw new ArgumentException($"Stage '{stage.Id}' reads '{input}', which is not (yet) in the graph; add inputs first.", nameof(stage));
        _stages.Add(stage);
        return this;
    }

    /// <summary>
    /// Stage keys: SHA-256 of canonical JSON {kind, options, inputs: {id: key}, seed, runtime}. Keys depend on
    /// what produced an output, never on its bytes, so the whole plan is known before anything runs.
    /// </summary>
    public IReadOnlyDictionary<string, string> ComputeKeys()
    {
        var keys = new Dictionary<string, string>();
        foreach (var s in _stages) keys[s.Id] = CanonicalJson.Hash(KeyDocument(s, keys));
        return keys;
    }

    public JsonObject KeyDocument(StageDefinition s, IReadOnlyDictionary<string, string> keysOfInputs)
    {
        var inputs = new JsonObject();
        foreach (var i in s.Inputs) inputs[this[i].KeyId ?? i] = keysOfInputs[i];
        return new JsonObject
        {
            ["kind"] = s.Kind,
            ["options"] = s.Options.DeepClone(),
            ["inputs"] = inputs,
            ["seed"] = s.Seed ?? seed,
            ["runtime"] = EngineInfo.RuntimeVersion,
        };
    }
}

/// <summary>What a running stage sees.</summary>
public sealed class StageContext
{
    public required StageDefinition Stage { get; init; }
    public required string Key { get; init; }
    public required ArtifactWriter Output { get; init; }
    public required ArtifactStore Store { get; init; }
    public required IReadOnlyDictionary<string, string> Keys { get; init; }
    public required IProgressSink Progress { get; init; }
    public required EngineOptions Options { get; init; }
    public CancellationToken Cancellation { get; init; }

    /// <summary>Set by training stages that restored a checkpoint.</summary>
    public int? ResumedFromStep { get; set; }

    /// <summary>The verified output of an input stage.</summary>
    public Artifact Input(string stageId)
    {
        if (!Stage.Inputs.Contains(stageId))
            throw new InvalidOperationException($"Stage '{Stage.Id}' reads '{stageId}' without declaring it as an input (its key would not cover it).");
        return Store.Open(Keys[stageId]);
    }

    /// <summary>A checkpointer in this stage's work folder.</summary>
    public StoreCheckpointer Checkpointer(Action<int, Models.ICausalLM>? onStep = null)
        => new(Store.WorkDirectory(Key), Stage.Id, Options.CheckpointEvery, Options.ModelFormat) { OnStep = onStep };
}

/// <summary>Engine settings (not part of any key: they change how, not what, is computed).</summary>
public sealed record EngineOptions
{
    /// <summary>Training stages checkpoint every this many optimizer steps (0: never).</summary>
    public int CheckpointEvery { get; init; } = 50;
    public IModelArtifactFormat ModelFormat { get; init; } = TorchSharpModelFormat.Instance;
}

/// <summary>Versions that enter every stage key.</summary>
public static class EngineInfo
{
    /// <summary>
    /// Bump the first number whenever a runtime change alters the numbers a stage produces (a loss, a metric,
    /// an artifact layout); every cached artifact is then rebuilt. TorchSharp's version is included too.
    /// </summary>
    public static readonly string RuntimeVersion = "dslunlearn-engine/1; torchsharp/" +
        (typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
         ?? typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?");
}
