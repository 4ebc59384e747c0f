using System.Text.RegularExpressions;

namespace DslUnlearn.Tests.ScaleOut;

/// <summary>`run --jobs N`: local worker processes that share the stages of every cell.</summary>
[Collection(SlurmCollection.Name)] // shares the local reference run (no Slurm needed)
public class LocalWorkersTests(TinyCellsReference reference)
{
    [Fact]
    public void Jobs_2_gives_the_bytes_of_jobs_1_and_computes_every_stage_once()
    {
        using var one = new Support.TempDir();
        using var two = new Support.TempDir();
        var (exit1, out1) = ScaleOutCli.Run("run", "tiny-cells", "--jobs", "1", "--out", one.Path);
        Assert.True(exit1 == 0, out1);
        var (exit2, out2) = ScaleOutCli.Run("run", "tiny-cells", "--jobs", "2", "--out", two.Path);
        Assert.True(exit2 == 0, out2);

        ScaleOutCli.AssertSameResults(Path.Combine(one.Path, "tiny-cells"), Path.Combine(two.Path, "tiny-cells"));
        ScaleOutCli.AssertSameResults(reference.ExperimentDir, Path.Combine(two.Path, "tiny-cells"));
        Assert.Contains($"Starting 2 worker(s), {Math.Max(1, Environment.ProcessorCount / 2)} torch thread(s) each", out2);
        // 3 cells x 9 stages, each built by exactly one of the two workers
        var built = Regex.Matches(out2, @"^\[w(\d)\] Worker \1: (\d+) stage\(s\) built\.", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[2].Value)).ToList();
        Assert.Equal(2, built.Count);
        Assert.Equal(27, built.Sum());
        var stageLines = Regex.Matches(out2, @"^\[w\d\]   (seed=\d) (\S+) +(executed|resumed) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value + " " + m.Groups[2].Value).ToList();
        Assert.Equal(27, stageLines.Count);
        Assert.Equal(27, stageLines.Distinct().Count());

        // Again on the stored run: no worker starts, and the published bytes are the same.
        var (exit3, out3) = ScaleOutCli.Run("run", "tiny-cells", "--jobs", "2", "--out", two.Path);
        Assert.True(exit3 == 0, out3);
        Assert.Contains("Every stage is stored and verified: no workers needed", out3);
        Assert.DoesNotContain("Starting 2 worker(s)", out3);
        Assert.DoesNotContain("[w0]", out3);
        ScaleOutCli.AssertSameResults(reference.ExperimentDir, Path.Combine(two.Path, "tiny-cells"));
    }

    [Fact]
    public void Task_and_cell_options_are_checked_with_a_message()
    {
        var (exit, output) = ScaleOutCli.Run("run", "tiny-cells", "--cell", "seed=9");
        Assert.Equal(2, exit);
        Assert.Contains("'tiny-cells' has no unit 'seed=9'. Its units: seed=1, seed=2, seed=3.", output);
        (exit, output) = ScaleOutCli.Run("run", "tiny-cells", "--task", "1");
        Assert.Equal(2, exit);
        Assert.Contains("--task I needs --of N", output);
    }
}
