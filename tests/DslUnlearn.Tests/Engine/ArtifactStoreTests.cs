using System.Text.Json.Nodes;

namespace DslUnlearn.Tests.Engine;

public class ArtifactStoreTests
{
    private static string Key(char c) => new(c, 64);

    /// <summary>Commits one artifact per letter (its key: <see cref="Key"/>), each holding the one file "f".</summary>
    private static void CommitEach(ArtifactStore store, string letters, Func<char, string> content)
    {
        foreach (var c in letters)
        {
            var w = store.Create(Key(c), "s");
            w.WriteText("f", content(c));
            w.Commit();
        }
    }

    [Fact]
    public void An_artifact_is_invisible_until_committed_then_verified_on_every_read()
    {
        using var dir = new TempDir();
        var store = new ArtifactStore(dir.Path);
        var w = store.Create(Key('a'), "stage/a");
        w.WriteText("x.txt", "hello");
        w.WriteText("sub/y.txt", "world");
        Assert.Equal(ArtifactState.Missing, store.Check(Key('a'), out _));
        Assert.Null(store.TryOpen(Key('a')));

        var a = w.Commit();
        Assert.Equal(ArtifactState.Complete, store.Check(Key('a'), out _));
        Assert.Equal("world", store.Open(Key('a')).ReadText("sub/y.txt"));
        Assert.Equal(10, a.Index.TotalBytes);
        Assert.Equal(CanonicalJson.Sha256Hex("hello"u8), a.Index.Files.Single(f => f.Path == "x.txt").Sha256);
        Assert.False(Directory.Exists(w.Directory));
    }

    [Fact]
    public void Missing_files_wrong_sizes_and_broken_indexes_are_corrupt()
    {
        using var dir = new TempDir();
        var store = new ArtifactStore(dir.Path);
        CommitEach(store, "bcd", _ => "content");
        File.Delete(Path.Combine(store.DirectoryOf(Key('b')), "f"));
        File.AppendAllText(Path.Combine(store.DirectoryOf(Key('c')), "f"), "!");
        File.WriteAllText(Path.Combine(store.DirectoryOf(Key('d')), ArtifactStore.IndexFile), "{ not json");

        Assert.Equal(ArtifactState.Corrupt, store.Check(Key('b'), out var pb));
        Assert.Equal("f is missing", pb);
        Assert.Equal(ArtifactState.Corrupt, store.Check(Key('c'), out var pc));
        Assert.Equal("f has 8 bytes, the index says 7", pc);
        Assert.Equal(ArtifactState.Corrupt, store.Check(Key('d'), out var pd));
        Assert.StartsWith("index unreadable", pd);
        var e = Assert.Throws<InvalidOperationException>(() => store.Open(Key('b')));
        Assert.Contains("dslunlearn run", e.Message);
        store.Discard(Key('b'));
        Assert.Equal(ArtifactState.Missing, store.Check(Key('b'), out _));
    }

    [Fact]
    public void A_stage_lock_is_exclusive_until_released()
    {
        using var dir = new TempDir();
        var store = new ArtifactStore(dir.Path);
        using (var held = store.Lock(Key('e')))
        {
            Assert.Null(store.TryLock(Key('e')));
            Assert.NotNull(held);
        }
        using var again = store.TryLock(Key('e'));
        Assert.NotNull(again);
    }

    [Fact]
    public void Gc_removes_unreferenced_objects_and_checkpoints_but_not_locked_or_referenced_ones()
    {
        using var dir = new TempDir();
        var store = new ArtifactStore(dir.Path);
        CommitEach(store, "fgh", c => new string(c, 100));
        Directory.CreateDirectory(Path.Combine(store.WorkDirectory(Key('i')), "ckpt-00000002"));
        using var busy = store.Lock(Key('h'));
        var result = store.Collect(new HashSet<string> { Key('f') });
        Assert.Equal([Key('g'), Key('i')], result.RemovedKeys.Order());
        Assert.Equal([Key('h')], result.SkippedLocked);
        Assert.True(result.RemovedBytes > 100, "the removed file and its index"); // 100 bytes of data plus the index
        Assert.Equal(ArtifactState.Complete, store.Check(Key('f'), out _));
        Assert.Equal(ArtifactState.Complete, store.Check(Key('h'), out _));
        Assert.False(Directory.Exists(store.WorkDirectory(Key('i'))));
    }

    [Fact]
    public void Canonical_json_ignores_key_order_and_spells_options_in_snake_case()
    {
        var a = JsonNode.Parse("""{"b": 1, "a": {"y": [1, 2.5], "x": "s"}}""");
        var b = JsonNode.Parse("""{"a": {"x": "s", "y": [1, 2.5]}, "b": 1}""");
        Assert.Equal(CanonicalJson.Serialize(a), CanonicalJson.Serialize(b));
        Assert.Equal("""{"a":{"x":"s","y":[1,2.5]},"b":1}""", CanonicalJson.Serialize(a));
        var options = new DslUnlearn.Methods.GdOptions { Lr = 1e-3, RetainWeight = 2 };
        Assert.Equal("""{"batch_size":16,"checkpoint_every":0,"epochs":0,"forget_temperature":1,"gradient_accumulation":1,"gradient_checkpointing":false,"lr":0.001,"max_grad_norm":0,"name":null,"optimizer":"adamw","retain_weight":2,"seed_offset":0,"steps":10,"token_loss_fraction":1,"uses_forget_tricks":false,"warmup_steps":0,"weight_decay":0}""", CanonicalJson.Serialize(CanonicalJson.FromObject(options)));
        Assert.NotEqual(CanonicalJson.Hash(CanonicalJson.FromObject(options)), CanonicalJson.Hash(CanonicalJson.FromObject(options with { Lr = 2e-3 })));
        Assert.Equal("max_grad_norm", CanonicalJson.SnakeCase("MaxGradNorm"));
        Assert.Equal("cpu", CanonicalJson.FromObject(DslUnlearn.Specs.Vocabulary.DeviceKind.Cpu)!.GetValue<string>());
    }

    [Fact]
    public void A_changed_stage_changes_the_keys_of_everything_downstream_and_nothing_upstream()
    {
        static StageGraph Graph(int lr) => new StageGraph(seed: 1)
            .Add(new StageDefinition { Id = "a", Kind = "k", Options = new JsonObject { ["x"] = 1 }, Execute = _ => { } })
            .Add(new StageDefinition { Id = "b", Kind = "k", Options = new JsonObject { ["lr"] = lr }, Inputs = ["a"], Execute = _ => { } })
            .Add(new StageDefinition { Id = "c", Kind = "k", Options = new JsonObject(), Inputs = ["b"], Execute = _ => { } })
            .Add(new StageDefinition { Id = "d", Kind = "k", Options = new JsonObject(), Inputs = ["a"], Execute = _ => { } });
        var k1 = Graph(1).ComputeKeys();
        var k2 = Graph(2).ComputeKeys();
        Assert.Equal(k1["a"], k2["a"]);
        Assert.Equal(k1["d"], k2["d"]);
        Assert.NotEqual(k1["b"], k2["b"]);
        Assert.NotEqual(k1["c"], k2["c"]);
        Assert.NotEqual(k1["a"], new StageGraph(seed: 2).Add(Graph(1).Stages[0]).ComputeKeys()["a"]);
        var e = Assert.Throws<ArgumentException>(() => new StageGraph(1).Add(new StageDefinition { Id = "x", Kind = "k", Options = new JsonObject(), Inputs = ["nope"], Execute = _ => { } }));
        Assert.Contains("'nope'", e.Message);
    }
}
