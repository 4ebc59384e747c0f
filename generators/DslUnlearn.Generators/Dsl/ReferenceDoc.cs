using System.Globalization;
using System.Text;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The language reference as Markdown, generated from the schema table and the component catalog
/// (docs/language-reference.md is this text; ReferenceDocTests keeps them equal).
/// </summary>
internal static class ReferenceDoc
{
    public static string Render(SpecSchema schema)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| section | key | type | default | sweepable | help |");
        sb.AppendLine("|---|---|---|---|---|---|");
        WriteSection(sb, "top level", schema.Root, experimentLevel: true);
        foreach (var key in schema.Root.Keys.Where(k => k.Kind == SpecValueKind.Section && k.Section is not null))
        {
            WriteSection(sb, "`" + key.Key + "`", key.Section!, experimentLevel: true);
        }

        foreach (var (name, section) in new[]
                 {
                     ("`unlearn` items", schema.UnlearnItem), ("`attacks` items", schema.AttackItem), ("`chain` items", schema.AttackStep),
                     ("`metrics` items", schema.MetricItem), ("`calibration`", schema.CalibrationSection),
                 })
        {
            WriteSection(sb, name, section, experimentLevel: false);
        }

        sb.AppendLine();
        sb.AppendLine("Components (discovered from the runtime; their options are the keys of the item that names them):");
        sb.AppendLine();
        sb.AppendLine("| kind | name | class | option | type | range | sweepable | help |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var kind in new[] { ComponentKind.Method, ComponentKind.Metric, ComponentKind.Attack, ComponentKind.Calibrator })
        {
            var components = schema.Catalog.OfKind(kind).ToList();
            if (components.Count == 0)
            {
                sb.AppendLine($"| {ComponentCatalog.Noun(kind)} | (none in this build) | | | | | | |");
                continue;
            }

            foreach (var c in components)
            {
                var type = c.TypeName.Replace("global::", string.Empty);
                if (c.Options.Count == 0)
                {
                    sb.AppendLine($"| {ComponentCatalog.Noun(kind)} | `{c.Name}` | `{type}` | (no options) | | | | {Cell(c.Help)} |");
                }

                foreach (var o in c.Options)
                {
                    var typeText = o.TypeText(markdown: true);
                    var range = o.Range?.Describe() ?? string.Empty;
                    sb.AppendLine($"| {ComponentCatalog.Noun(kind)} | `{c.Name}` | `{type}` | `{o.Key}`{(o.Required ? " (required)" : string.Empty)} | {typeText}{(o.Nullable ? "?" : string.Empty)} | {range} | {(o.Sweepable ? "yes" : "no")} | {Cell(o.Help)} |");
                }
            }
        }

        return sb.ToString();
    }

    /// <param name="experimentLevel">The top level or one of its sections: the keys an experiment-level sweep may vary
    /// (<see cref="SpecBinder.IsExperimentSweepable"/>) say "yes"; an item's keys are never swept (its options are).</param>
    private static void WriteSection(StringBuilder sb, string name, SpecSection section, bool experimentLevel)
    {
        foreach (var key in section.Keys.Where(k => k.IsUserKey))
        {
            var type = key.TypeText(markdown: true);
            if (key.Range is { } range)
            {
                type += ", " + range.Describe();
            }

            if (key.OnlyFor is { Count: > 0 } only)
            {
                type += $" ({string.Join(", ", only)} only)";
            }

            var def = key.Required ? "required" : key.DefaultFrom is { } from ? $"= {from}" : key.Default is { } d ? $"`{d.Replace("|", "\\|")}`" : string.Empty;
            if (def == "`~`")
            {
                def = "none";
            }

            var sweepable = experimentLevel && SpecBinder.IsExperimentSweepable(key) ? "yes" : "no";
            sb.AppendLine($"| {name} | `{key.Key}` | {type} | {def} | {sweepable} | {Cell(key.Help)} |");
        }
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
