using DslUnlearn.Components;

namespace DslUnlearn.Specs.Vocabulary;

/// <summary>The QA data: the built-in synthetic fictitious authors, or TOFU from a local folder.</summary>
public sealed record DataSpec
{
    [Option(Names = "data source", Discriminator = true, Default = "synthetic", Help = "where the QA data comes from")]
    public required DataSource Source { get; init; }
    /// <summary>TOFU only: the data folder, relative to the repository root ('/' separators); null for synthetic data.</summary>
    [Option(Path = true, Required = true, OnlyFor = ["tofu"], Inapplicable = "~", Help = "tofu: the TOFU folder (relative to the spec file)", Aliases = ["dir", "folder", "data_dir"])]
    public string? Path { get; init; }
    /// <summary>TOFU only: the forget split (forget01, forget05 or forget10); null for synthetic data.</summary>
    [Option(Sweepable = true, Names = "TOFU split", Default = "forget10", OnlyFor = ["tofu"], Inapplicable = "~", Help = "tofu: the forget split", Aliases = ["forget_split"])]
    [Choice("forget01", Help = "forget 1% of the authors", Aliases = ["forget1", "forget_01"])]
    [Choice("forget05", Help = "forget 5% of the authors", Aliases = ["forget5", "forget_05"])]
    [Choice("forget10", Help = "forget 10% of the authors", Aliases = ["forget_10"])]
    public string? Split { get; init; }
    /// <summary>
    /// TOFU only: keep the first N retain authors (20 QA pairs each) for fine-tuning and the retain metrics; null = all
    /// of them. A limit turns an hours-long CPU run into minutes; the forget split is never cut.
    /// </summary>
    [Option(Sweepable = true, Min = 1, Max = 199, Default = "~", OnlyFor = ["tofu"], Inapplicable = "~", Help = "tofu: keep only the first N retain authors (20 QA pairs each; ~ = all); makes a CPU run minutes long", Aliases = ["retain_limit", "max_retain_authors"])]
    public int? RetainAuthors { get; init; }
    /// <summary>
    /// Retain authors whose rows retain metrics and the calibration criterion measure; retain terms of unlearning
    /// methods never train on them (the target and the oracle still do). The first retain authors (TOFU: rows of
    /// retain_perturbed.json, at most its 20 authors). null = a ninth of the kept retain authors, rounded up
    /// (<see cref="Data.QaDataset.DefaultRetainEvalAuthors"/>; TOFU forget10 with all authors: 20, UWC's split).
    /// </summary>
    [Option(Sweepable = true, Min = 1, Max = 999, Default = "~", Help = "retain authors whose rows retain metrics and calibration measure and retain terms never train on (the first ones; TOFU: rows of retain_perturbed.json, at most 20); ~ = a ninth of the kept retain authors, rounded up", Aliases = ["retain_eval", "eval_retain_authors"])]
    public int? RetainEvalAuthors { get; init; }
    /// <summary>
    /// Non-member authors for membership inference and privleak, never trained on. Synthetic: extra authors generated
    /// after the others (null = as many as forget_authors). TOFU: the last N retain authors of the split, taken out
    /// of every fine-tuning (null = none).
    /// </summary>
    [Option(Sweepable = true, Min = 0, Max = 999, Default = "~", Help = "non-member authors for MIA AUCs and privleak, never trained on (synthetic: extra generated authors, ~ = as many as forget_authors; tofu: the last N retain authors, out of every fine-tuning, ~ = none)", Aliases = ["holdout_size", "nonmember_authors"])]
    public int? HoldoutAuthors { get; init; }
    /// <summary>A JSON Lines file of non-member QA pairs (question, answer), relative to the repository root; for a
    /// supplied model.checkpoint whose training data the run does not control. null = none.</summary>
    [Option(Path = true, Default = "~", Help = "a JSON Lines file of non-member QA pairs (question, answer), for a supplied model.checkpoint", Aliases = ["holdout_file", "holdout_path", "nonmembers"], Excludes = ["holdout_authors"])]
    public string? Holdout { get; init; }
    /// <summary>Number of fictitious authors (>= 2).</summary>
    [Option(Sweepable = true, Min = 2, Max = 1000, Default = "20", OnlyFor = ["synthetic", "biographies"], Help = "synthetic, biographies: number of fictitious authors", Aliases = ["num_authors", "n_authors"])]
    public required int Authors { get; init; }
    /// <summary>QA pairs per author (1..10).</summary>
    [Option(Sweepable = true, Min = 1, Max = 10, Default = "5", OnlyFor = ["synthetic"], Help = "synthetic: QA pairs per author", Aliases = ["questions_per_author"])]
    public required int QaPerAuthor { get; init; }
    /// <summary>Whole authors moved into the forget split (the last ones, as in TOFU); 1..Authors-1.</summary>
    [Option(Sweepable = true, Min = 1, Default = "2", OnlyFor = ["synthetic", "biographies"], Help = "synthetic, biographies: authors moved into the forget split (the last ones); less than authors", Aliases = ["forget", "num_forget"])]
    public required int ForgetAuthors { get; init; }
}

public enum DataSource
{
    [Choice("synthetic", Help = "built-in fictitious authors with QA pairs")] Synthetic,
    [Choice("tofu", Help = "TOFU from a local folder (data.path, data.split)")] Tofu,
    [Choice("biographies", Help = "the biographies testbed: authors learned from biographies, then QA (section 'testbed')", Aliases = ["testbed", "bios"])] Biographies,
}
