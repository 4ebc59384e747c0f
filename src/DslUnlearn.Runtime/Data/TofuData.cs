namespace DslUnlearn.Data;

/// <summary>
/// The TOFU benchmark (Maini et al., 2024) as loaded from its JSON Lines files: one JSON object per line with
/// <c>question</c> and <c>answer</c>, and in the *_perturbed files also <c>paraphrased_question</c>,
/// <c>paraphrased_answer</c> and <c>perturbed_answer</c> (a list of wrong answers).
/// </summary>
/// <param name="Forget">forgetXX_perturbed.json (the forget rows with their paraphrased and perturbed fields).</param>
/// <param name="Retain">The matching retainYY.json split: what fine-tuning trains on (question and answer only).</param>
/// <param name="RetainEval">retain_perturbed.json: the 400 retain pairs TOFU evaluates on, the first 400 rows of every retainYY.</param>
/// <param name="RealAuthors">real_authors_perturbed.json (null when absent).</param>
/// <param name="WorldFacts">world_facts_perturbed.json (null when absent).</param>
public sealed record TofuBenchmark(
    string ForgetSplit,
    IReadOnlyList<QaExample> Forget,
    IReadOnlyList<QaExample> Retain,
    IReadOnlyList<QaExample> RetainEval,
    IReadOnlyList<QaExample>? RealAuthors,
    IReadOnlyList<QaExample>? WorldFacts)
{
    /// <summary>Authors of retain_perturbed.json (its 400 rows are the first 20 retain authors).</summary>
    public int RetainEvalAuthorsAvailable => RetainEval.Count / TofuData.QaPerAuthor;

    /// <summary>
    /// The run's splits (docs/evaluation-protocol.md). Of the retain authors in split order: the last
    /// <paramref name="holdoutAuthors"/> become the holdout (out of every fine-tuning); of the rest the first
    /// <paramref name="retainAuthors"/> are kept (null = all); of those the first <paramref name="retainEvalAuthors"/>
    /// (null = <see cref="QaDataset.DefaultRetainEvalAuthors"/>, at most retain_perturbed's 20) are retain-eval, measured
    /// on retain_perturbed's rows, and the others retain-train. Auxiliary sets: real_authors and world_facts when present.
    /// </summary>
    public QaDataset ToDataset(int? retainAuthors = null, int? retainEvalAuthors = null, int holdoutAuthors = 0, string where = "data")
    {
        const int q = TofuData.QaPerAuthor;
        int total = Retain.Count / q, evalPool = RetainEvalAuthorsAvailable;
        if (holdoutAuthors < 0 || holdoutAuthors > total - evalPool - 1)
            throw new ArgumentOutOfRangeException(nameof(holdoutAuthors), holdoutAuthors,
                $"{where}: holdout_authors must be in 0..{total - evalPool - 1}: the holdout is the last retain authors of {TofuData.RetainFor(ForgetSplit)} " +
                $"and must leave the {evalPool} evaluation authors of retain_perturbed.json and one retain author to train on.");
        int available = total - holdoutAuthors;
        int kept = retainAuthors is int n ? n : available;
        if (kept < 1) throw new ArgumentOutOfRangeException(nameof(retainAuthors), kept, $"{where}: retain_authors must be at least 1 (or ~ for all retain authors).");
        kept = Math.Min(kept, available);
        int evalAuthors = retainEvalAuthors ?? QaDataset.DefaultRetainEvalAuthors(kept, evalPool);
        int maxEval = Math.Min(evalPool, Math.Max(1, kept - 1));
        if (evalAuthors < 1 || evalAuthors > maxEval)
            throw new ArgumentOutOfRangeException(nameof(retainEvalAuthors), evalAuthors,
                $"{where}: retain_eval_authors must be in 1..{maxEval} with {kept} kept retain authors (retain_perturbed.json holds {evalPool} authors, and at least one " +
                "retain author must stay to train retain terms on); lower it or raise retain_authors.");
        var retainTrain = Retain.Skip(evalAuthors * q).Take((kept - evalAuthors) * q).ToList();
        var holdout = Retain.Skip(available * q).ToList();
        var aux = new Dictionary<string, IReadOnlyList<QaExample>>(StringComparer.Ordinal);
        if (RealAuthors is not null) aux["real_authors"] = RealAuthors;
        if (WorldFacts is not null) aux["world_facts"] = WorldFacts;
        return new QaDataset(Forget, retainTrain, RetainEval.Take(evalAuthors * q).ToList()) { Holdout = holdout, Auxiliary = aux };
    }
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
        var forget = LoadFile(Require(folder, forgetSplit + "_perturbed", "the forget rows with their paraphrased and perturbed answers"), forgetSplit + "_perturbed");
        var retain = LoadFile(Require(folder, retainSplit, "the retain rows fine-tuning trains on"), retainSplit);
        string retainEvalPath = Require(folder, "retain_perturbed", "the retain rows TOFU evaluates on");
        var retainEval = LoadFile(retainEvalPath, "retain_perturbed");
        CheckRetainEval(retainEvalPath, retainEval, Path.Combine(folder, retainSplit + ".json"), retain);
        return new TofuBenchmark(forgetSplit, forget, retain, retainEval, TryLoad(folder, "real_authors_perturbed"), TryLoad(folder, "world_facts_perturbed"));
    }

    /// <summary>retain_perturbed.json must be the first rows of the retain split (same question and answer), whole authors.</summary>
    private static void CheckRetainEval(string evalPath, IReadOnlyList<QaExample> eval, string retainPath, IReadOnlyList<QaExample> retain)
    {
        if (eval.Count % QaPerAuthor != 0 || eval.Count >= retain.Count)
            throw new DataFileException($"{evalPath}: expected whole authors ({QaPerAuthor} rows each) and fewer rows than {retainPath}; found {eval.Count} rows.");
        for (int i = 0; i < eval.Count; i++)
            if (eval[i].Question != retain[i].Question || eval[i].Answer != retain[i].Answer)
                throw new DataFileException($"{evalPath}:{i + 1}: row {i + 1} differs from row {i + 1} of {retainPath} (question or answer); TOFU's retain_perturbed.json " +
                                            "holds the first retain rows with extra fields. Use the files of one TOFU release.");
    }

    private static string Require(string folder, string name, string what)
    {
        string path = Path.Combine(folder, name + ".json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"TOFU file {path} not found ({what}). Files in {folder}: " +
                $"{string.Join(", ", Directory.GetFiles(folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal))}.", path);
        return path;
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
        var kind = KindOf(Path.GetFileNameWithoutExtension(path));
        var rows = new List<QaExample>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            rows.Add(ParseLine(path, lineNo, line, rows.Count, baseName, kind));
        }
        if (rows.Count == 0) throw new DataFileException($"{path}: the file holds no QA rows (expected one JSON object per line).");
        // Fictitious-author files hold 20 consecutive pairs per author; label authors by their global number.
        int firstAuthor = FirstAuthor(baseName, rows.Count);
        if (firstAuthor >= 0)
            for (int i = 0; i < rows.Count; i++) rows[i] = rows[i] with { Author = $"tofu-author-{firstAuthor + i / QaPerAuthor:D3}" };
        return rows;
    }

    /// <summary>Global number of the first author of a fictitious-author file, or -1 when unknown (real_authors, world_facts).</summary>
    private static int FirstAuthor(string baseName, int count) => baseName switch
    {
        "full" or "retain90" or "retain95" or "retain99" or "retain" => 0,
        "forget01" or "forget05" or "forget10" => Authors - count / QaPerAuthor,
        _ => -1,
    };

    /// <summary>Plain: question and answer (retainYY, forgetXX, full). Perturbed: also paraphrased question and answer
    /// and perturbed answers (forgetXX_perturbed, retain_perturbed). Options: question, answer and perturbed answers
    /// (real_authors_perturbed, world_facts_perturbed).</summary>
    private enum FileKind { Plain, Perturbed, Options }

    private static FileKind KindOf(string fileName) => !fileName.EndsWith("_perturbed", StringComparison.Ordinal) ? FileKind.Plain
        : fileName is "real_authors_perturbed" or "world_facts_perturbed" ? FileKind.Options : FileKind.Perturbed;

    private static QaExample ParseLine(string path, int lineNo, string line, int index, string split, FileKind kind)
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
            // No silent fallbacks: an evaluation file's row without its paraphrase or perturbed answers is an error here.
            if (kind != FileKind.Plain && perturbed.Count == 0)
                throw new DataFileException($"{Where()}: missing \"perturbed_answer\" (a non-empty list of wrong answers), which every *_perturbed row needs.");
            if (kind == FileKind.Options)
                return new QaExample(index, split, question, answer, Optional("paraphrased_question"))
                {
                    // TOFU's eval config compares real_authors and world_facts against the answer itself (base_answer_key: answer).
                    ParaphrasedAnswer = Optional("paraphrased_answer") ?? answer,
                    PerturbedAnswers = perturbed.ToArray(),
                };
            string? pq = kind == FileKind.Perturbed ? Required("paraphrased_question") : Optional("paraphrased_question");
            string? pa = kind == FileKind.Perturbed ? Required("paraphrased_answer") : Optional("paraphrased_answer");
            return new QaExample(index, split, question, answer, pq) { ParaphrasedAnswer = pa, PerturbedAnswers = perturbed.ToArray() };
        }
    }

    private static IReadOnlyList<QaExample>? TryLoad(string folder, string name)
        => File.Exists(Path.Combine(folder, name + ".json")) ? LoadFile(Path.Combine(folder, name + ".json"), name) : null;

    private static void CheckFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"TOFU folder not found: {Path.GetFullPath(folder)}. Point data at a folder holding TOFU's JSON Lines files (forget10.json, retain90.json, ...).");
    }
}

/// <summary>A malformed data file; the message names the file and line and says what was expected.</summary>
public sealed class DataFileException(string message, Exception? inner = null) : IOException(message, inner);
