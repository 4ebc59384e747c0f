using System.CommandLine;
using DslUnlearn.Experiments;

namespace DslUnlearn.Cli;

/// <summary>
/// `dslunlearn components [name]`: the methods, metrics, attacks and calibrators of this build with every option's
/// YAML key, type and help text, from the table the generator compiled into the experiments project
/// (<see cref="ExperimentComponents"/>): exactly what specs in this build are checked against.
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
        var options = ExperimentComponents.Options;
        var names = ExperimentComponents.Components.Select(c => c.Name).Distinct(StringComparer.Ordinal).ToList();
        if (name is not null && !names.Contains(name, StringComparer.Ordinal))
        {
            var suggestion = DslUnlearn.Generators.Dsl.SpecBinder.DidYouMean(name, names.Select(n => (n, n)));
            error.WriteLine($"error: no component named '{name}'.{suggestion} Known: {string.Join(", ", names)}.");
            return Commands.Usage;
        }

        foreach (var c in ExperimentComponents.Components.Where(c => name is null || c.Name == name))
        {
            output.WriteLine($"{c.Kind} {c.Name}{(c.Help.Length > 0 ? ": " + c.Help : "")}");
            var own = options.Where(o => o.Kind == c.Kind && o.Component == c.Name).ToList();
            if (own.Count == 0) output.WriteLine("  (no options)");
            int keyWidth = own.Select(o => o.Option.Length).DefaultIfEmpty(0).Max(), typeWidth = own.Select(o => o.Type.Length).DefaultIfEmpty(0).Max();
            foreach (var o in own)
                output.WriteLine($"  {o.Option.PadRight(keyWidth)}  {o.Type.PadRight(typeWidth)}  {o.Help}".TrimEnd());
        }

        return Commands.Ok;
    }
}
