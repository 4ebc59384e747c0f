namespace DslUnlearn.Models;

/// <summary>
/// Rotary-embedding frequency scaling from config.json's <c>rope_scaling</c>: "linear" (position
/// interpolation: every inverse frequency divided by <see cref="Factor"/>) or "llama3" (Llama 3.1's
/// wavelength-dependent blend using the low/high frequency factors and the original context length).
/// </summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1.0, double HighFreqFactor = 4.0,
    int OriginalMaxPositionEmbeddings = 8192)
{
    public static readonly IReadOnlyList<string> SupportedTypes = ["linear", "llama3"];

    internal void Validate(List<string> problems)
    {
        if (!SupportedTypes.Contains(Type))
            problems.Add($"rope_scaling.rope_type = \"{Type}\" is not supported; supported: {string.Join(", ", SupportedTypes)} (or remove rope_scaling).");
        if (!(Factor >= 1.0)) problems.Add($"rope_scaling.factor = {Factor} must be >= 1.");
        if (Type == "llama3")
        {
            if (!(LowFreqFactor > 0)) problems.Add($"rope_scaling.low_freq_factor = {LowFreqFactor} must be positive.");
            if (!(HighFreqFactor > LowFreqFactor)) problems.Add($"rope_scaling.high_freq_factor = {HighFreqFactor} must exceed low_freq_factor = {LowFreqFactor}.");
            if (OriginalMaxPositionEmbeddings <= 0) problems.Add($"rope_scaling.original_max_position_embeddings = {OriginalMaxPositionEmbeddings} must be positive.");
        }
    }

    /// <summary>Applies the scaling to inverse frequencies (float64, [rotary_dim / 2]).</summary>
    internal Tensor Apply(Tensor invFreq)
    {
        if (Type == "linear") return Torch.HeldScalars.Over(invFreq, Factor);
        // llama3
        double[] inv = invFreq.cpu().data<double>().ToArray();
        double lowWavelen = OriginalMaxPositionEmbeddings / LowFreqFactor;
        double highWavelen = OriginalMaxPositionEmbeddings / HighFreqFactor;
        var result = new double[inv.Length];
        for (int i = 0; i < inv.Length; i++)
        {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen < highWavelen) result[i] = inv[i];                 // high frequency: unchanged
            else if (wavelen > lowWavelen) result[i] = inv[i] / Factor;     // low frequency: interpolated
            else
            {
                double smooth = (OriginalMaxPositionEmbeddings / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                result[i] = (1 - smooth) * inv[i] / Factor + smooth * inv[i];
            }
        }
        return torch.tensor(result, dtype: float64, device: invFreq.device);
    }
}
