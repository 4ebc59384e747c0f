namespace DslUnlearn.Tests.Data;

/// <summary>A fact that runs only where TOFU's files are (../shared/data/tofu from the repository root).</summary>
public sealed class TofuFactAttribute : FactAttribute
{
    public static string Folder { get; } = FindFolder();

    public TofuFactAttribute()
    {
        if (!File.Exists(Path.Combine(Folder, "forget01_perturbed.json")))
            Skip = $"TOFU data not found at {Folder} (expected ../shared/data/tofu next to the repository); the TOFU loader tests need it.";
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DslUnlearn.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "tofu"));
        return "/work/shared/data/tofu";
    }
}

public class TofuDataTests
{
    [TofuFact]
    public void Forget01_has_the_last_two_authors_with_paraphrases_and_five_perturbed_answers()
    {
        var forget = TofuData.LoadSplit(TofuFactAttribute.Folder, "forget01");
        Assert.Equal(40, forget.Count);
        Assert.Equal(Enumerable.Range(0, 40), forget.Select(e => e.Index));
        Assert.Equal(["tofu-author-198", "tofu-author-199"], forget.Select(e => e.Author).Distinct());
        Assert.StartsWith("What is the full name of the author born in Kuwait City", forget[0].Question);
        Assert.StartsWith("Basil Mahfouz Al-Kuwaiti is the complete name", forget[0].ParaphrasedAnswer);
        Assert.All(forget, e =>
        {
            Assert.NotEqual(e.Question, e.ParaphrasedQuestion);
            Assert.NotNull(e.ParaphrasedAnswer);
            Assert.Equal(5, e.PerturbedAnswers.Count);
        });
    }

    [TofuFact]
    public void Benchmark_pairs_forget_with_its_retain_complement_and_loads_the_evaluation_sets()
    {
        var b = TofuData.LoadBenchmark(TofuFactAttribute.Folder, "forget05");
        Assert.Equal(200, b.Forget.Count);
        Assert.Equal(3800, b.Retain.Count);
        Assert.Equal("tofu-author-190", b.Forget[0].Author);
        Assert.Equal("tofu-author-000", b.Retain[0].Author);
        Assert.Empty(b.Forget.Select(e => e.Question).Intersect(b.Retain.Select(e => e.Question)));
        Assert.Equal(400, b.RetainEval!.Count);
        Assert.Equal(100, b.RealAuthors!.Count);
        Assert.Equal(117, b.WorldFacts!.Count);
        // TOFU compares real_authors and world_facts against the answer itself; they have no paraphrased question.
        Assert.All(b.RealAuthors, e => { Assert.Equal(e.Answer, e.ParaphrasedAnswer); Assert.NotEmpty(e.PerturbedAnswers); Assert.Null(e.ParaphrasedQuestion); });
        // retain_perturbed.json is the first 400 rows of every retain split, with the extra fields (checked by the loader too).
        Assert.Equal(b.Retain.Take(400).Select(e => (e.Question, e.Answer, e.Author)), b.RetainEval.Select(e => (e.Question, e.Answer, e.Author)));
        Assert.All(b.RetainEval, e => { Assert.NotNull(e.ParaphrasedQuestion); Assert.NotNull(e.ParaphrasedAnswer); Assert.Equal(5, e.PerturbedAnswers.Count); });
        var d = b.ToDataset();
        Assert.Equal(b.Forget.Count + b.Retain.Count + 100 + 117, d.All.Count());
        Assert.Equal(3960, TofuData.LoadSplit(TofuFactAttribute.Folder, "retain99").Count);
    }

    [Fact]
    public void Files_without_trailing_newline_and_with_blank_lines_load()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "tiny.json");
        File.WriteAllText(path, """{"question":"Q1","answer":"A1"}""" + "\n\n" + """{"question":"Q2","answer":"A2","perturbed_answer":["w1","w2"],"paraphrased_question":"P2","paraphrased_answer":"PA2"}""");
        var rows = TofuData.LoadFile(path);
        Assert.Equal(2, rows.Count);
        Assert.Null(rows[0].ParaphrasedQuestion);                     // a plain row has none; nothing stands in for it
        Assert.Empty(rows[0].PerturbedAnswers);
        Assert.Equal(["w1", "w2"], rows[1].PerturbedAnswers);
        Assert.Equal(("P2", "PA2", 1), (rows[1].ParaphrasedQuestion, rows[1].ParaphrasedAnswer, rows[1].Index));
    }

    [Theory]
    [InlineData("""{"question":"Q","answer":"A"}""" + "\n" + """{"question":"Q","answer":""", 2, "not valid JSON")]
    [InlineData("""{"question":"Q"}""", 1, "missing the required field \"answer\"")]
    [InlineData("""{"question":"Q","answer":"A"}""" + "\n" + """{"question":"Q","answer":"A","perturbed_answer":5}""", 2, "perturbed_answer")]
    [InlineData("""{"question":"Q","answer":"A","perturbed_answer":["x",1]}""", 1, "perturbed_answer[1] must be a string")]
    [InlineData("""[1, 2]""", 1, "expected a JSON object")]
    [InlineData("""{"question":7,"answer":"A"}""", 1, "\"question\" must be a string")]
    public void Malformed_lines_are_errors_naming_file_and_line(string content, int line, string expected)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.json");
        File.WriteAllText(path, content);
        var e = Assert.Throws<DataFileException>(() => TofuData.LoadFile(path));
        Assert.Contains($"{path}:{line}:", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("forget01_perturbed", """{"question":"Q","answer":"A","paraphrased_answer":"PA","perturbed_answer":["w"]}""", "missing the required field \"paraphrased_question\"")]
    [InlineData("retain_perturbed", """{"question":"Q","answer":"A","paraphrased_question":"PQ","perturbed_answer":["w"]}""", "missing the required field \"paraphrased_answer\"")]
    [InlineData("forget10_perturbed", """{"question":"Q","answer":"A","paraphrased_question":"PQ","paraphrased_answer":"PA"}""", "missing \"perturbed_answer\"")]
    [InlineData("world_facts_perturbed", """{"question":"Q","answer":"A","perturbed_answer":[]}""", "missing \"perturbed_answer\"")]
    public void A_perturbed_file_row_without_its_paraphrase_or_perturbed_answers_is_an_error_naming_file_and_row(string name, string row, string expected)
    {
        // Never replaced by the original question or answer (OU users met the silent version mid-run).
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, name + ".json");
        string good = """{"question":"Q0","answer":"A0","paraphrased_question":"P0","paraphrased_answer":"PA0","perturbed_answer":["w0"]}""";
        File.WriteAllText(path, good + "\n" + row + "\n");
        var e = Assert.Throws<DataFileException>(() => TofuData.LoadFile(path));
        Assert.Contains($"{path}:2:", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_retain_perturbed_file_that_is_not_the_start_of_the_retain_split_is_refused()
    {
        using var dir = new TempDir();
        string row(int i, bool p) => p ? $$"""{"question":"Q{{i}}","answer":"A{{i}}","paraphrased_question":"P","paraphrased_answer":"PA","perturbed_answer":["w"]}"""
                                       : $$"""{"question":"Q{{i}}","answer":"A{{i}}"}""";
        File.WriteAllLines(Path.Combine(dir.Path, "forget01_perturbed.json"), Enumerable.Range(900, 20).Select(i => row(i, true)));
        File.WriteAllLines(Path.Combine(dir.Path, "retain99.json"), Enumerable.Range(0, 60).Select(i => row(i, false)));
        File.WriteAllLines(Path.Combine(dir.Path, "retain_perturbed.json"), Enumerable.Range(0, 20).Select(i => row(i == 7 ? 70 : i, true)));
        var e = Assert.Throws<DataFileException>(() => TofuData.LoadBenchmark(dir.Path, "forget01"));
        Assert.Contains("retain_perturbed.json:8: row 8 differs from row 8 of", e.Message);
        File.Delete(Path.Combine(dir.Path, "retain_perturbed.json"));
        Assert.Contains("retain_perturbed.json not found", Assert.Throws<FileNotFoundException>(() => TofuData.LoadBenchmark(dir.Path, "forget01")).Message);
    }

    [Fact]
    public void Missing_folder_or_split_says_where_it_looked()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "forget01.json"), """{"question":"Q","answer":"A"}""");
        var e = Assert.Throws<FileNotFoundException>(() => TofuData.LoadSplit(dir.Path, "forget05"));
        Assert.Contains("forget05.json", e.Message);
        Assert.Contains("forget01", e.Message);                       // lists what is there
        Assert.Throws<DirectoryNotFoundException>(() => TofuData.LoadSplit(Path.Combine(dir.Path, "nope"), "forget01"));
        Assert.Throws<ArgumentException>(() => TofuData.RetainFor("forget02"));
    }
}
