using System.Reflection;

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
