using DslUnlearn.Models;
using DslUnlearn.Training;
using TorchSharp.Modules;

namespace DslUnlearn.Engine;

/// <summary>
/// Checkpoints of one stage in <c>work/&lt;key&gt;/ckpt-&lt;step&gt;/</c>: model.bin (TorchSharp Module.save), optimizer.bin
/// (optimizer.save_state_dict), rng.bin (torch RNG state), state.json (loop state + <see cref="Extra"/>), and an
/// index with sizes and hashes. Each checkpoint is written in a temp folder and renamed into place; the
/// newest one that verifies is used, older ones are deleted once a newer one is complete.
/// </summary>
public sealed class StoreCheckpointer(string workDirectory, string stage, int every, IModelArtifactFormat format) : ITrainingCheckpointer
{
    /// <summary>Step of the checkpoint a restore started from (null when the stage started fresh).</summary>
    public int? ResumedFromStep { get; private set; }

    /// <summary>Stage-owned state saved with every checkpoint (for example the ES trajectory).</summary>
    public JsonObject Extra { get; private set; } = new();

    /// <summary>Runs after every step, before a checkpoint is saved (e.g. to evaluate along the way).</summary>
    public Action<int, ICausalLM>? OnStep { get; init; }

    public int Every => every;
    public int Saved { get; private set; }

    public JsonObject? Restore(nn.Module module, OptimizerHelper optimizer)
    {
        if (!Directory.Exists(workDirectory)) return null;
        foreach (var stale in Directory.EnumerateDirectories(workDirectory, ".tmp-*")) ArtifactStore.TryDelete(stale);
        foreach (var dir in Directory.EnumerateDirectories(workDirectory, "ckpt-*").OrderDescending(StringComparer.Ordinal))
        {
            if (ArtifactStore.VerifyFolder(dir, stage, out _) is null)
            {
                ArtifactStore.TryDelete(dir); // partial or corrupt: never read
                continue;
            }
            using (var f = File.OpenRead(Path.Combine(dir, "model.bin"))) format.Load(module, f);
            using (var f = File.OpenRead(Path.Combine(dir, "optimizer.bin")))
            using (var r = new BinaryReader(f)) optimizer.load_state_dict(r);
            var rng = File.ReadAllBytes(Path.Combine(dir, "rng.bin"));
            using (var t = torch.tensor(rng, dtype: ScalarType.Byte)) torch.set_rng_state(t);
            var state = JsonNode.Parse(File.ReadAllBytes(Path.Combine(dir, "state.json")))!.AsObject();
            ResumedFromStep = state["step"]!.GetValue<int>();
            Extra = state["extra"]?.AsObject() is { } extra ? (JsonObject)extra.DeepClone() : new JsonObject();
            return state["loop"]!.AsObject();
        }
        return null;
    }

    public void AfterStep(int completedSteps, int totalSteps, ICausalLM model, OptimizerHelper optimizer, Func<JsonObject> loopState)
    {
        OnStep?.Invoke(completedSteps, model);
        CrashPoints.Hit($"step:{stage}:{completedSteps}");
        if (every <= 0 || completedSteps % every != 0 || completedSteps >= totalSteps) return;
        Save(completedSteps, model.Module, optimizer, loopState());
    }

    private void Save(int step, nn.Module module, OptimizerHelper optimizer, JsonObject loop)
    {
        Directory.CreateDirectory(workDirectory);
        string tmp = Path.Combine(workDirectory, $".tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        var files = new List<ArtifactFile>();
        void Write(string name, Action<Stream> write)
        {
            string path = Path.Combine(tmp, name);
            ArtifactStore.WriteDurable(path, write);
            files.Add(new ArtifactFile(name, new FileInfo(path).Length, ArtifactStore.HashFile(path)));
        }
        Write("model.bin", s => format.Save(module, s));
        CrashPoints.Hit($"checkpoint:{stage}");
        Write("optimizer.bin", s => { using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true); optimizer.save_state_dict(w); });
        using (var rng = torch.get_rng_state()) { var bytes = rng.data<byte>().ToArray(); Write("rng.bin", s => s.Write(bytes)); }
        var state = new JsonObject { ["step"] = step, ["loop"] = loop, ["extra"] = Extra.DeepClone() };
        Write("state.json", s => { using var w = new Utf8JsonWriter(s); state.WriteTo(w); });
        ArtifactStore.WriteIndex(tmp, stage, stage, files);
        string final = Path.Combine(workDirectory, $"ckpt-{step:D8}");
        if (Directory.Exists(final)) ArtifactStore.TryDelete(final);
        Directory.Move(tmp, final);
        Saved++;
        foreach (var old in Directory.EnumerateDirectories(workDirectory, "ckpt-*").Where(d => string.CompareOrdinal(Path.GetFileName(d), Path.GetFileName(final)) < 0))
            ArtifactStore.TryDelete(old);
    }
}
