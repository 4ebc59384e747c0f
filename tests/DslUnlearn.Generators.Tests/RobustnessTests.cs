using System.Text;

namespace DslUnlearn.Generators.Tests;

/// <summary>The generator never throws and never fails internally, whatever the input.</summary>
public sealed class RobustnessTests
{
    public static TheoryData<string, string> Garbage() => new()
    {
        { "empty", "" },
        { "whitespace", "   \n\n  \n" },
        { "list at top level", "- a\n- b\n" },
        { "scalar at top level", "just a string" },
        { "tabs", "\texperiment: t\n\tseed: 1\n" },
        { "tab indentation", "experiment: t\nmodel:\n\tlayers: 2\n" },
        { "unclosed [", "[" },
        { "unclosed {", "{" },
        { "unclosed [ in a value", "experiment: [" },
        { "unterminated quote", "experiment: 'abc\n" },
        { "alias", "experiment: &a t\ndescription: *a\n" },
        { "unknown alias", "experiment: *nope\n" },
        { "complex key", "? [a, b]\n: c\nexperiment: t\n" },
        { "null key", ": x\nexperiment: t\n" },
        { "nul bytes", "\0\0\0" },
        { "bom", "\uFEFFexperiment: bom\n" },
        { "directives", "%YAML 1.1\n---\nexperiment: t\n" },
        { "tags", "experiment: !!str t\nseed: !!int 3\n" },
        { "binary", "experiment: !!binary aGVsbG8=\n" },
        { "deep nesting", new string('[', 2000) + new string(']', 2000) },
        { "deep block nesting", string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', i) + "k:\n")) },
        { "unlearn mapping", "experiment: t\nunlearn: {method: ga}\n" },
        { "huge int", "experiment: t\nseed: 123456789012345678901234567890\n" },
        { "huge number", "experiment: t\nfinetune:\n  lr: 1e999\n" },
        { "nan", "experiment: t\nfinetune:\n  lr: .nan\n" },
        { "negative zero", "experiment: t\nfinetune:\n  weight_decay: -0.0\n" },
        { "lone surrogate", "experiment: t\ndescription: \"\\ud800\"\n" },
        { "unicode line separator", "experiment: t\ndescription: \"a\u2028b\"\n" },
        { "windows line ends", "experiment: t\r\nseed: 1\r\n" },
        { "document end only", "...\n" },
        { "flow in block", "experiment: t\nmetrics: [{metric: em, splits: [forget]}, {metric: es_exact}]\n" },
        { "bool values", "experiment: t\nseed: true\ndescription: false\n" },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Generator_survives(string name, string yaml)
    {
        var run = GeneratorHarness.Run(("spec.yaml", yaml));
        Assert.Null(run.Single.Exception);
        Assert.All(run.DriverDiagnostics, d => Assert.StartsWith("DSLU", d.Id)); // no CS8784/CS8785 generator failure
        Assert.DoesNotContain(run.Diagnostics, d => d.Id == "DSLU0099");
        Assert.Contains("ExperimentCatalog.g.cs", run.HintNames);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).Select(d => d.ToString());
        Assert.True(!errors.Any(), $"{name}: {string.Join("\n", errors)}");
    }

    [Fact]
    public void Random_bytes_and_yaml_like_noise_never_fail_internally()
    {
        var random = new Random(12345);
        const string alphabet = "-:[]{}#&*!|>'\"%@`,? \n\n\n\t  abcdeg_xyz0123456789.\\";
        for (var i = 0; i < 3000; i++)
        {
            string text;
            if (i % 3 == 0)
            {
                var bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
                text = Encoding.UTF8.GetString(bytes);
            }
            else
            {
                var sb = new StringBuilder(i % 2 == 0 ? "experiment: t\n" : string.Empty);
                var length = random.Next(0, 120);
                for (var j = 0; j < length; j++)
                {
                    sb.Append(alphabet[random.Next(alphabet.Length)]);
                }

                text = sb.ToString();
            }

            var result = GeneratorHarness.Compile("/p/fuzz.yaml", text, "fuzz.yaml");
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == SpecDiagnosticIds.InternalError);
            Assert.True(result.Model is not null || result.Diagnostics.Count > 0, $"no model and no diagnostic for: {text}");
            foreach (var d in result.Diagnostics)
            {
                Assert.True(d.StartLine >= 1 && d.StartColumn >= 1 && d.EndLine >= d.StartLine, d.ToString());
            }

            if (result.Model is { } model)
            {
                Assert.NotEmpty(Emitter.Emit(model));
            }
        }
    }

    [Fact]
    public void Unreadable_file_is_reported_not_thrown()
    {
        var result = GeneratorHarness.Compile("/p/x.yaml", null, "x.yaml");
        Assert.Null(result.Model);
        Assert.Equal("DSLU0001", Assert.Single(result.Diagnostics).Id);
    }
}
