namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// Writes <c>ExperimentComponents</c>: the build's component catalog (every component with its facts and every
/// option with its YAML type, range and help text) as data, <see cref="CatalogData"/>'s JSON. The CLI's
/// <c>validate</c> and <c>components</c> read it, so they know exactly what the build knows, and a test can check
/// that the help text reached a real build.
/// </summary>
internal static class ComponentHelpEmitter
{
    public const string HintName = "ExperimentComponents.g.cs";

    public static string Emit(ComponentCatalog catalog)
    {
        var w = Emitter.GeneratedFile("the component catalog of this build.");
        w.Line("/// <summary>The components (methods, metrics, attacks, calibrators) this build's specs may use.</summary>");
        w.Line($"[global::System.CodeDom.Compiler.GeneratedCode(\"DslUnlearn.Generators\", \"{Emitter.GeneratorVersion}\")]");
        w.Line("public static class ExperimentComponents");
        w.OpenBrace();
        w.Line("/// <summary>The catalog as JSON: components (kind, name, type, help, facts) with their options (key, kind, range, help).</summary>");
        var code = w.ToString();
        // A raw string literal at column 0, so the JSON reads as itself in the generated file.
        return code + "        public const string Catalog = \"\"\"\"\n" + CatalogData.Write(catalog) + "\"\"\"\";\n    }\n}\n";
    }
}
