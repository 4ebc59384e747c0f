namespace DslUnlearn.Engine;

/// <summary>
/// How model weights are written into artifacts. The default uses TorchSharp's own format; the Hugging Face
/// safetensors writer (Checkpoints/) can replace it without touching the engine.
/// </summary>
public interface IModelArtifactFormat
{
    string FileName { get; }
    void Save(nn.Module module, Stream stream);
    void Load(nn.Module module, Stream stream);
}

/// <summary>TorchSharp's <c>Module.save</c>/<c>Module.load</c> (strict: every parameter must match).</summary>
public sealed class TorchSharpModelFormat : IModelArtifactFormat
{
    public static readonly TorchSharpModelFormat Instance = new();
    public string FileName => "model.bin";
    public void Save(nn.Module module, Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true); // Module.save(Stream) would close the stream
        module.save(w);
        w.Flush();
    }

    public void Load(nn.Module module, Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        module.load(r, strict: true);
    }
}
