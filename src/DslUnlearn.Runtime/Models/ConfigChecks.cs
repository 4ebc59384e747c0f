namespace DslUnlearn.Models;

/// <summary>
/// Collects every inconsistency of a model config (keys as spelled in config.json), so one
/// <see cref="ModelConfigException"/> lists them all, before any tensor is allocated.
/// </summary>
internal sealed class ConfigChecks
{
    public List<string> Problems { get; } = [];

    public void Add(string problem) => Problems.Add(problem);

    public void Positive(int value, string key)
    {
        if (value <= 0) Problems.Add($"{key} = {value} must be positive.");
    }

    public void Positive(double value, string key)
    {
        if (!(value > 0)) Problems.Add($"{key} = {value} must be positive.");
    }

    public void Supported(string value, IReadOnlyCollection<string> supported, string key)
    {
        if (!supported.Contains(value)) Problems.Add($"{key} = \"{value}\" is not supported; supported: {string.Join(", ", supported)}.");
    }

    public void ThrowIfAny()
    {
        if (Problems.Count > 0) throw new ModelConfigException(Problems);
    }
}
