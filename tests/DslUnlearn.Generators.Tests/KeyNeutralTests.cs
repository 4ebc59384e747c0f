using System.Text.Json.Nodes;
using DslUnlearn.Engine;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// Key-neutral keys (a key at its neutral value is left out of stage keys, so keys from before it existed stay valid) are
/// declared once, <c>[Option(KeyNeutral = ...)]</c>, and read by both the static plan (SpecSchema.KeyNeutral, the drops of
/// StageShape.KeyParts) and the runtime (Engine.KeyNeutralDefaults, the JSON drop of the stage keys): the two lists are
/// the same, and for every key both drop it at its neutral value and keep it at another.
/// </summary>
public sealed class KeyNeutralTests
{
    private const string Testbed = "data: {source: biographies, authors: 30, forget_authors: 3}\n";

    /// <summary>Per key-neutral key: YAML at its neutral value (unset, for the sections that are ~ unless written) and at another, and the canonical JSON of both values.</summary>
    private static readonly Dictionary<string, (string Neutral, string Other, string NeutralJson, string OtherJson)> Cases = new()
    {
        ["model.dtype"] = ("model: {dtype: float32}\n", "model: {dtype: bfloat16}\n", "\"float32\"", "\"bfloat16\""),
        ["finetune.gradient_checkpointing"] = ("finetune: {gradient_checkpointing: false}\n", "finetune: {gradient_checkpointing: true}\n", "false", "true"),
        ["finetune.length_groups"] = ("finetune: {length_groups: 1}\n", "finetune: {length_groups: 2}\n", "1", "2"),
        ["unlearn[*].method.options.gradient_checkpointing"] =
            ("unlearn: [{method: ga, gradient_checkpointing: false}]\n", "unlearn: [{method: ga, gradient_checkpointing: true}]\n", "false", "true"),
        ["testbed"] = ("", Testbed + "testbed: {}\n", "null", "{\"attributes\":12}"),
        ["testbed.auxiliary_splits"] = (Testbed + "testbed: {auxiliary_splits: false}\n", Testbed + "testbed: {auxiliary_splits: true}\n", "false", "true"),
        ["testbed.pretrain.length_groups"] = (Testbed + "testbed: {pretrain: {length_groups: 1}}\n", Testbed + "testbed: {pretrain: {length_groups: 4}}\n", "1", "4"),
        ["meta_eval"] = ("", "meta_eval: {faithfulness: {seeds: [1]}}\n", "null", "{\"faithfulness\":{\"seeds\":[1]}}"),
    };

    [Fact]
    public void The_plan_and_the_runtime_read_the_same_key_neutral_keys_from_the_records()
    {
        var runtime = KeyNeutralDefaults.All.Select(k => (k.Path, k.Value)).OrderBy(k => k.Path, StringComparer.Ordinal).ToList();
        foreach (var catalog in new[] { GeneratorHarness.RuntimeCatalog, CatalogData.Read(CatalogData.Write(GeneratorHarness.RuntimeCatalog)) })
        {
            var plan = SpecSchema.Create(catalog).KeyNeutral.Select(k => (k.Path, k.Value)).OrderBy(k => k.Path, StringComparer.Ordinal).ToList();
            Assert.Equal(runtime, plan);
        }

        // The keys docs/spec-keys.md names as key-neutral, with the value each had before it existed.
        Assert.Equal(new[]
        {
            ("finetune.gradient_checkpointing", "false"), ("finetune.length_groups", "1"), ("meta_eval", "~"), ("model.dtype", "float32"),
            ("testbed", "~"), ("testbed.auxiliary_splits", "false"), ("testbed.pretrain.length_groups", "1"),
            ("unlearn[*].method.options.gradient_checkpointing", "false"),
        }, runtime);
        // testbed.pretrain writes no gradient_checkpointing ([NestedKey]s): it stays in the testbed's keys, as it always was.
        Assert.DoesNotContain(runtime, k => k.Path == "testbed.pretrain.gradient_checkpointing");
    }

    [Fact]
    public void Every_key_neutral_key_is_dropped_by_the_plan_and_by_the_runtime_at_its_neutral_value_only()
    {
        var keys = KeyNeutralDefaults.All;
        Assert.Equal(keys.Select(k => k.Path).OrderBy(p => p, StringComparer.Ordinal), Cases.Keys.OrderBy(p => p, StringComparer.Ordinal)); // a new key needs its case here
        foreach (var key in keys)
        {
            var (neutral, other, neutralJson, otherJson) = Cases[key.Path];
            var line = key.Path.Replace("[*]", "[0]");
            Assert.False(PlanHolds("experiment: t\n" + neutral, line), $"the plan keeps {key.Path} at {key.Value}");
            Assert.True(PlanHolds("experiment: t\n" + other, line), $"the plan drops {key.Path} at {otherJson}");
            Assert.False(RuntimeHolds(key.Path, neutralJson), $"the runtime keeps {key.Path} at {key.Value}");
            Assert.True(RuntimeHolds(key.Path, otherJson), $"the runtime drops {key.Path} at {otherJson}");
        }
    }

    [Fact]
    public void The_runtime_drops_a_nested_key_only_where_its_section_holds_it()
    {
        // finetune.gradient_checkpointing is key-neutral; testbed.pretrain has no such YAML key, so its false stays.
        var testbed = JsonNode.Parse("{\"pretrain\":{\"gradient_checkpointing\":false,\"length_groups\":1,\"lr\":0.002},\"auxiliary_splits\":false}")!.AsObject();
        Assert.Equal("{\"pretrain\":{\"gradient_checkpointing\":false,\"lr\":0.002}}", testbed.WithoutKeyNeutralDefaults("testbed").ToJsonString());
        var finetune = JsonNode.Parse("{\"gradient_checkpointing\":false,\"length_groups\":3,\"lr\":0.003}")!.AsObject();
        Assert.Equal("{\"length_groups\":3,\"lr\":0.003}", finetune.WithoutKeyNeutralDefaults("finetune").ToJsonString());
        Assert.True(KeyNeutralDefaults.IsNeutral("model.dtype", JsonValue.Create("float32")));
        Assert.False(KeyNeutralDefaults.IsNeutral("model.dtype", JsonValue.Create("float16")));
    }

    /// <summary>Whether the report's resolved spec (the @spec group of the static plan) holds a value at <paramref name="path"/> or below it.</summary>
    private static bool PlanHolds(string yaml, string path)
    {
        var compiled = GeneratorHarness.Compile("spec.yaml", yaml, "spec.yaml");
        Assert.Empty(compiled.Diagnostics.Select(d => d.ToString()));
        var plan = PlanEmitter.Build(compiled.Model!.Spec, compiled.Model.KeyNeutral);
        // What only the run knows ("testbed.pretrain.oracle = <run time: ...>") is listed whatever the spec holds.
        var spec = plan.Groups.Single(g => g.Key == "@spec").Value.Where(l => !l.Contains(" = <run time", StringComparison.Ordinal));
        return spec.Any(l => l.StartsWith(path + " = ", StringComparison.Ordinal) || l.StartsWith(path + ".", StringComparison.Ordinal) || l.StartsWith(path + "[", StringComparison.Ordinal));
    }

    /// <summary>Whether the runtime's drop of a resolved spec keeps the key at <paramref name="path"/> holding <paramref name="json"/>.</summary>
    private static bool RuntimeHolds(string path, string json)
    {
        var resolved = new JsonObject();
        JsonObject at = resolved;
        var segments = path.Split('.');
        foreach (var segment in segments.Take(segments.Length - 1))
        {
            var next = new JsonObject();
            if (segment.EndsWith("[*]", StringComparison.Ordinal))
            {
                at[segment[..^3]] = new JsonArray(next);
            }
            else
            {
                at[segment] = next;
            }

            at = next;
        }

        at[segments[^1]] = JsonNode.Parse(json);
        var kept = resolved.WithoutKeyNeutralDefaults("");
        JsonNode? node = kept;
        foreach (var segment in segments.Take(segments.Length - 1))
        {
            node = segment.EndsWith("[*]", StringComparison.Ordinal) ? node![segment[..^3]]![0] : node![segment];
        }

        return node!.AsObject().ContainsKey(segments[^1]);
    }
}
