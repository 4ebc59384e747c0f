namespace DslUnlearn.Generators.Dsl;

/// <summary>The <c>testbed:</c> section's rule (its keys are the <c>[Option]</c>s of <c>DslUnlearn.Specs.TestbedSpec</c>), used with <c>data.source: biographies</c>.</summary>
internal sealed partial class SpecSchema
{
    /// <summary>data.source biographies and a testbed section go together.</summary>
    private static SpecCheck TestbedSourceCheck() => new(new[] { "data", "testbed" }, new[] { "testbed", "data" }, v =>
    {
        bool biographies = v.Value("data") is SpecObject data && data.Get("Source") is SpecEnum { Name: "biographies" };
        bool section = v.Value("testbed") is SpecObject;
        if (biographies == section)
        {
            return null;
        }

        return biographies
            ? "data.source 'biographies' needs a 'testbed:' section; add 'testbed: {}' for the defaults, or set its keys (attributes, biographies_per_author, mixed_share, pretrain, ...)"
            : "the 'testbed:' section only applies to data.source 'biographies'; set 'data: {source: biographies}' or remove the section";
    });
}
