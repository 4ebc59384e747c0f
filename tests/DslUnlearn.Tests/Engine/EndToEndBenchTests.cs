namespace DslUnlearn.Tests.Engine;

[Collection(EngineCollection.Name)]
public class EndToEndBenchTests
{
    [Fact]
    public void Bench_runs_cold_then_no_op_and_writes_json_without_asserting_timings()
    {
        using var dir = new TempDir();
        string scratch = Path.Combine(dir.Path, "scratch");
        var r = EndToEndBench.Measure(EngineScenarios.Get("tiny", scratch), scratch);
        Assert.Equal(9, r.ColdRunStagesExecuted);
        Assert.Equal(0, r.NoOpRerunStagesExecuted);
        Assert.True(r.StoreBytes > 0 && r.PeakWorkingSetBytes > 0);
        Assert.False(Directory.Exists(scratch), "the scratch store is removed");
        string json = Path.Combine(dir.Path, "e2e.json");
        EndToEndBench.Save(r, json);
        Assert.Contains("\"no_op_rerun_seconds\"", File.ReadAllText(json));
    }
}
