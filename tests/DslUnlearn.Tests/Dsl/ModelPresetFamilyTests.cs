using System.Reflection;
using DslUnlearn.Components;
using DslUnlearn.Tests.Support;

namespace DslUnlearn.Tests.Dsl;

/// <summary>
/// Why the build checks Llama's head rules only (docs/spec-keys.md, "Model head rules"): every preset `model:` may name is
/// built by the runtime as a Llama from the section's keys, so Llama's rules are the whole check of those keys. A preset of
/// another family fails here until the build checks that family's rules (Models/HeadRules.cs has Phi's and GPT-2's) for it.
/// A checkpoint's family is known when its config.json is read, which the run (and `run --dry-run`) does before any stage.
/// </summary>
public class ModelPresetFamilyTests
{
    [Fact]
    public void Every_preset_builds_a_llama_from_the_model_keys()
    {
        var presets = typeof(ModelSpec).GetProperty(nameof(ModelSpec.Preset))!.GetCustomAttributes<ChoiceAttribute>().Select(c => c.Name).ToList();
        Assert.NotEmpty(presets);
        foreach (var preset in presets)
        {
            var spec = TestSpecs.Tiny("unused") with { Model = TestSpecs.Tiny("unused").Model with { Preset = preset, HiddenSize = 48, Heads = 6, KvHeads = 3 } };
            using var model = RunInputs.ModelSource(spec).CreateEmpty();
            Assert.Equal("llama", model.Family);
            Assert.Equal(48, model.HiddenSize); // the keys, not a preset's own sizes
        }
    }
}
