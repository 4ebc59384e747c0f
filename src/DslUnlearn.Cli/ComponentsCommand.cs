using DslUnlearn.Generators.Dsl;

namespace DslUnlearn.Cli;

/// <summary>
/// `dslunlearn components [name]`: the methods, metrics, attacks and calibrators of this build with every option's
/// YAML key, type and help text, from the catalog the generator compiled into the experiments project
/// (<see cref="DslUnlearn.Experiments.ExperimentComponents.Catalog"/>): exactly what specs in this build are checked against.
/// </summary>
internal static class ComponentsCommand
{
    public static Command Build()
    {
        var name = new Argument<string?>("name") { Description = "One component (ga, es_exact, relearn, ...); all when left out.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("components", "List the components YAML specs can use, with each option's key, type and help.") { name };
        command.SetAction(parse => Run(parse.GetValue(name), Console.Out, Console.Error));
        return command;
    }

    internal static int Run(string? name, TextWriter output, TextWriter error)
    {
        var catalog = ValidateCommand.Catalog();
        var names = catalog.Components.Select(c => c.Name).Distinct(StringComparer.Ordinal).ToList();
        if (name is not null && !names.Contains(name, StringComparer.Ordinal))
        {
            var suggestion = SpecBinder.DidYouMean(name, names.Select(n => (n, n)));
            error.WriteLine($"error: no component named '{name}'.{suggestion} Known: {string.Join(", ", names)}.");
            return Commands.Usage;
        }

        foreach (var c in catalog.Components.Where(c => name is null || c.Name == name))
        {
            var facts = (c.LowerIsBetter ? " [lower is better]" : "") + (c.PreservesKnowledge ? " [preserves knowledge]" : "");
            output.WriteLine($"{ComponentCatalog.Noun(c.Kind)} {c.Name}{facts}{(c.Help.Length > 0 ? ": " + c.Help : "")}");
            if (c.Options.Count == 0) output.WriteLine("  (no options)");
            int keyWidth = c.Options.Select(o => o.Key.Length).DefaultIfEmpty(0).Max(), typeWidth = c.Options.Select(o => o.TypeText(markdown: false).Length).DefaultIfEmpty(0).Max();
            foreach (var o in c.Options)
                output.WriteLine($"  {o.Key.PadRight(keyWidth)}  {o.TypeText(markdown: false).PadRight(typeWidth)}  {o.Help}".TrimEnd());
        }

        return Commands.Ok;
    }
}
