namespace DslUnlearn.Generators.Dsl;

/// <summary>The <c>testbed:</c> section (issue 11, runtime <c>DslUnlearn.Specs.TestbedSpec</c>), used with <c>data.source: biographies</c>.</summary>
internal sealed partial class SpecSchema
{
    /// <summary>The section's keys are the <c>[Option]</c>s of <c>TestbedSpec</c> (its <c>pretrain:</c> a <c>FinetuneSpec</c> narrowed by <c>[NestedKey]</c>).</summary>
    private static SpecKey TestbedKey(ComponentCatalog catalog, SpecComponents c) => new()
    {
        Name = "testbed", Property = "Testbed", Kind = SpecValueKind.Mapping, Section = DeclaredSection(catalog, c, "TestbedSpec", "testbed"), Nullable = true, Default = "~",
        Help = "the biographies testbed (with data.source: biographies); write 'testbed: {}' for its defaults", Aliases = new[] { "biographies", "world" },
    };

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
