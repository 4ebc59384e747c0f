using System.Text.Json;

namespace DslUnlearn.Data;

/// <summary>
/// The TOFU benchmark (Maini et al., 2024) as loaded from its JSON Lines files: one JSON object per line with
/// <c>question</c> and <c>answer</c>, and in the *_perturbed files also <c>paraphrased_question</c>,
/// <c>paraphrased_answer</c> and <c>perturbed_answer</c> (a list of wrong answers).
/// </summary>
/// <param name="Forget">forgetXX (from forgetXX_perturbed.json when present, which carries the extra fields).</param>
/// <param name="Retain">The matching retainYY split (training data; question and answer only).</param>
/// <param name="RetainEval">retain_perturbed.json: the 400 retain pairs TOFU evaluates on (null when the file is absent).</param>
/// <param name="RealAuthors">real_authors(_perturbed).json (null when absent).</param>
/// <param name="WorldFacts">world_facts(_perturbed).json (null when absent).</param>
public sealed record TofuBenchmark(
    string ForgetSplit,
    IReadOnlyList<QaExample> Forget,
    IReadOnlyList<QaExample> Retain,
    IReadOnlyList<QaExample>? RetainEval,
    IReadOnlyList<QaExample>? RealAuthors,
    IReadOnlyList<QaExample>? WorldFacts)
{
    /// <summary>Forget and (training) retain splits, what fine-tuning and unlearning use.</summary>
    public QaDataset ToDataset() => new(Forget, Retain);
}

/// <summary>Reads TOFU's JSON Lines files from a folder (e.g. ../shared/data/tofu, or a user's own copy).</summary>
public static class TofuData
{
    /// <summary>TOFU has 20 QA pairs per fictitious author, in order.</summary>
    public const int QaPerAuthor = 20;
    public const int Authors = 200;

    public static readonly IReadOnlyList<string> ForgetSplits = ["forget01", "forget05", "forget10"];

    /// <summary>The retain split that complements <paramref name="forgetSplit"/> (forget01 -> retain99, ...).</summary>
    public static string RetainFor(string forgetSplit) => forgetSplit switch
    {
        "forget01" => "retain99",
        "forget05" => "retain95",
        "forget10" => "retain90",
        _ => throw new ArgumentException($"Unknown TOFU forget split '{forgetSplit}'; use one of {string.Join(", ", ForgetSplits)}.", nameof(forgetSplit)),
    };

    /// <summary>
    /// Forget split (perturbed file when present), its retain complement, and the evaluation sets that exist in
    /// <paramref name="folder"/>. Missing forget or retain files are an error naming the folder and the file.
    /// </summary>
    public static TofuBenchmark LoadBenchmark(string folder, string forgetSplit = "forget10")
    {
        string retainSplit = RetainFor(forgetSplit);
        CheckFolder(folder);
        var forget = LoadSplit(folder, forgetSplit);
        var retain = LoadSplit(folder, retainSplit);
        return new TofuBenchmark(forgetSplit, forget, retain,
            TryLoad(folder, "retain_perturbed"), TryLoadPreferPerturbed(folder, "real_authors"), TryLoadPreferPerturbed(folder, "world_facts"));
    }

    /// <summary>
    /// A split by name: forget01/05/10, retain90/95/99, full, retain_perturbed, real_authors, world_facts, or any
    /// file name without .json. For a name X whose X_perturbed.json exists (forgetXX, real_authors, world_facts)
    /// the perturbed file is read, since it holds the same rows plus the paraphrased and perturbed fields.
    /// </summary>
    public static IReadOnlyList<QaExample> LoadSplit(string folder, string name)
    {
        CheckFolder(folder);
        string perturbed = Path.Combine(folder, name + "_perturbed.json");
        if (!name.EndsWith("_perturbed", StringComparison.Ordinal) && File.Exists(perturbed)) return LoadFile(perturbed, name);
        string plain = Path.Combine(folder, name + ".json");
        if (!File.Exists(plain))
        {
            var known = Directory.GetFiles(folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);
            throw new FileNotFoundException($"TOFU split '{name}' not found: {plain} does not exist. Files in {folder}: {string.Join(", ", known)}.", plain);
        }
        return LoadFile(plain, name);
    }

    /// <summary>
    /// Reads one JSON Lines file. Blank lines are skipped and a missing trailing newline is fine. A malformed
    /// line raises <see cref="DataFileException"/> naming the file and the 1-based line.
    /// </summary>
    /// <param name="split">Split name used for author labels (defaults to the file name).</param>
    public static IReadOnlyList<QaExample> LoadFile(string path, string? split = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"TOFU file not found: {path}.", path);
        split ??= Path.GetFileNameWithoutExtension(path);
        string baseName = split.EndsWith("_perturbed", StringComparison.Ordinal) ? split[..^"_perturbed".Length] : split;
        var rows = new List<QaExample>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            rows.Add(ParseLine(path, lineNo, line, rows.Count, baseName));
        }
        if (rows.Count == 0) throw new DataFileException($"{path}: the file holds no QA rows (expected one JSON object per line).");
        // Fictitious-author files hold 20 consecutive pairs per author; label authors by their global number.
        int firstAuthor = FirstAuthor(baseName, rows.Count);
        if (firstAuthor >= 0)
            for (int i = 0; i < rows.Count; i++) rows[i] = rows[i] with { Author = $"tofu-author-{firstAuthor + i / QaPerAuthor:D3}" };
        return rows;
    }

    /// <summary>Global number of the first author of a fictitious-author file, or -1 when unknown (real_authors, world_facts, retain_perturbed).</summary>
    private static int FirstAuthor(string baseName, int count) => baseName switch
    {
        "full" or "retain90" or "retain95" or "retain99" => 0,
        "forget01" or "forget05" or "forget10" => Authors - count / QaPerAuthor,
        _ => -1,
    };

    private static QaExample ParseLine(string path, int lineNo, string line, int index, string split)
    {
        string Where() => $"{path}:{lineNo}";
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new DataFileException($"{Where()}: not valid JSON ({e.Message}). Each line must be one JSON object.", e); }
        using (doc)
        {
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new DataFileException($"{Where()}: expected a JSON object, found {o.ValueKind}.");
            string Required(string key)
            {
                if (!o.TryGetProperty(key, out var v)) throw new DataFileException($"{Where()}: missing the required field \"{key}\" (found: {string.Join(", ", o.EnumerateObject().Select(p => p.Name))}).");
                if (v.ValueKind != JsonValueKind.String) throw new DataFileException($"{Where()}: field \"{key}\" must be a string, found {v.ValueKind}.");
                return v.GetString()!;
            }
            string? Optional(string key)
            {
                if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind != JsonValueKind.String) throw new DataFileException($"{Where()}: field \"{key}\" must be a string, found {v.ValueKind}.");
                return v.GetString();
            }
            string question = Required("question"), answer = Required("answer");
            if (answer.Length == 0) throw new DataFileException($"{Where()}: field \"answer\" is empty; every metric needs at least one answer token.");
            var perturbed = new List<string>();
            if (o.TryGetProperty("perturbed_answer", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                if (p.ValueKind == JsonValueKind.String) perturbed.Add(p.GetString()!);
                else if (p.ValueKind == JsonValueKind.Array)
                {
                    int k = 0;
                    foreach (var item in p.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.String) throw new DataFileException($"{Where()}: perturbed_answer[{k}] must be a string, found {item.ValueKind}.");
                        perturbed.Add(item.GetString()!);
                        k++;
                    }
                }
                else throw new DataFileException($"{Where()}: field \"perturbed_answer\" must be a list of strings, found {p.ValueKind}.");
            }
            return new QaExample(index, split, question, answer, Optional("paraphrased_question") ?? question)
            {
                ParaphrasedAnswer = Optional("paraphrased_answer"),
                PerturbedAnswers = perturbed.ToArray(),
            };
        }
    }

    private static IReadOnlyList<QaExample>? TryLoad(string folder, string name)
        => File.Exists(Path.Combine(folder, name + ".json")) ? LoadFile(Path.Combine(folder, name + ".json"), name) : null;

    private static IReadOnlyList<QaExample>? TryLoadPreferPerturbed(string folder, string name)
        => TryLoad(folder, name + "_perturbed") ?? TryLoad(folder, name);

    private static void CheckFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"TOFU folder not found: {Path.GetFullPath(folder)}. Point data at a folder holding TOFU's JSON Lines files (forget10.json, retain90.json, ...).");
    }
}

/// <summary>A malformed data file; the message names the file and line and says what was expected.</summary>
public sealed class DataFileException(string message, Exception? inner = null) : IOException(message, inner);
