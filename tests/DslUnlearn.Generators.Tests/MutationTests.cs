using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// A mutated-YAML corpus built from every spec in experiments/: deleted and duplicated lines, wrong indentation,
/// swapped types, random bytes, huge numbers, deep nesting and unicode. Every case gives diagnostics or a valid
/// model, never an internal error or an exception.
/// </summary>
public sealed class MutationTests(ITestOutputHelper output)
{
    private static readonly string[] Replacements =
    {
        "[1, 2]", "{a: 1}", "\"text\"", "~", "-1", "0", "1e999", "99999999999999999999", "true", "ünïcødé ✓", "${nope.key}", "${data}", "5%",
        "[[[[[[[[[[1]]]]]]]]]]", "\t", "&a x", "*a", "!!binary aGk=", "'unterminated", "../../../../../etc/passwd",
    };

    public static IEnumerable<string> Corpus()
    {
        var random = new Random(20250101);
        foreach (var path in RepoPaths.ExperimentSpecs())
        {
            var lines = File.ReadAllText(path).Replace("\r\n", "\n").Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                yield return Join(lines.Where((_, j) => j != i));                                     // deleted line
                yield return Join(lines.Take(i + 1).Concat(lines.Skip(i)));                           // duplicated line
                yield return Join(lines.Select((l, j) => j == i ? " " + l : l));                      // indented
                yield return Join(lines.Select((l, j) => j == i && l.StartsWith("  ", StringComparison.Ordinal) ? l.Substring(1) : l)); // dedented
                var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                {
                    var replacement = Replacements[random.Next(Replacements.Length)];
                    yield return Join(lines.Select((l, j) => j == i ? l.Substring(0, colon + 2) + replacement : l)); // swapped value
                }

                var bytes = new byte[random.Next(1, 12)];
                random.NextBytes(bytes);
                var noise = Encoding.UTF8.GetString(bytes);
                yield return Join(lines.Select((l, j) => j == i ? l.Insert(random.Next(l.Length + 1), noise) : l));  // random bytes
            }

            yield return new string(' ', 0) + string.Concat(Enumerable.Range(0, 100).Select(d => new string(' ', d * 2) + "k" + d + ":\n")) + Join(lines); // deep nesting
            yield return Join(lines) + "\nunlearn:\n" + string.Concat(Enumerable.Range(0, 60).Select(_ => "  - method: gd\n    lr: [1e-4, 2e-4, 3e-4]\n    retain_weight: [1, 2, 3]\n"));
        }
    }

    private static string Join(IEnumerable<string> lines) => string.Join("\n", lines);

    [Fact]
    public void Every_mutation_gives_diagnostics_or_a_model_and_never_an_internal_error()
    {
        var context = new SpecContext(RepoPaths.Experiments, null, p => File.Exists(p) ? File.ReadAllText(p) : null);
        var cases = Corpus().ToList();
        Assert.True(cases.Count >= 500, $"only {cases.Count} cases");
        _ = GeneratorHarness.Compile(Path.Combine(RepoPaths.Experiments, "warm-up.yaml"), "experiment: w\n", "warm-up.yaml", context); // catalog + JIT
        var slowest = TimeSpan.Zero;
        var slowestText = string.Empty;
        int models = 0;
        foreach (var text in cases)
        {
            var clock = Stopwatch.StartNew();
            var result = GeneratorHarness.Compile(Path.Combine(RepoPaths.Experiments, "mutant.yaml"), text, "mutant.yaml", context);
            clock.Stop();
            if (clock.Elapsed > slowest)
            {
                (slowest, slowestText) = (clock.Elapsed, text);
            }

            Assert.DoesNotContain(result.Diagnostics, d => d.Id == SpecDiagnosticIds.InternalError);
            Assert.True(result.Model is not null || result.Diagnostics.Count > 0, $"no model and no diagnostic for:\n{text}");
            foreach (var d in result.Diagnostics)
            {
                Assert.True(d.StartLine >= 1 && d.StartColumn >= 1, d.ToString());
            }

            if (result.Model is { } model)
            {
                models++;
                Assert.NotEmpty(Emitter.Emit(model));
            }
        }

        output.WriteLine($"{cases.Count} mutated specs, {models} still valid, slowest {slowest.TotalMilliseconds:F0} ms ({slowestText.Length} chars)");
    }
}
