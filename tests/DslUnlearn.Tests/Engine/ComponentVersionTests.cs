using System.Text.Json.Nodes;
using DslUnlearn.Attacks;
using DslUnlearn.Calibration;
using DslUnlearn.Components;

namespace DslUnlearn.Tests.Engine.VersionOne
{
    /// <summary>A metric at version 1; <see cref="VersionTwo.ProbeMetric"/> is the same code at version 2 (same type name and options, so only the version differs in keys).</summary>
    [Metric("test_probe")]
    public sealed class ProbeMetric(NoOptions options) : IMetric
    {
        public NoOptions Options => options;
        public MetricResult Compute(MetricContext c) => new EsExactMetric(new NoOptions()).Compute(c);
    }
}

namespace DslUnlearn.Tests.Engine.VersionTwo
{
    [Metric("test_probe", Version = 2)]
    public sealed class ProbeMetric(NoOptions options) : IMetric
    {
        public NoOptions Options => options;
        public MetricResult Compute(MetricContext c) => new EsExactMetric(new NoOptions()).Compute(c);
    }
}

namespace DslUnlearn.Tests.Engine
{
    /// <summary>Component versions enter the keys of exactly the stages that run the component.</summary>
    [Collection(EngineCollection.Name)]
    public class ComponentVersionTests
    {
        private static ExperimentSpec Spec(string root, IMetric probe)
        {
            var tiny = TestSpecs.Tiny(root, epochs: 2);
            return tiny with
            {
                Name = "versions",
                Unlearn = [tiny.Unlearn[0] with { Method = new DslUnlearn.Methods.GradientAscent(new DslUnlearn.Methods.GaOptions { Lr = 1e-3, Steps = 2, BatchSize = 4 }) }],
                Metrics = [tiny.Metrics[0], new MetricSpec { Name = "test_probe", Metric = probe, Splits = TestSpecs.BothSplits }],
                Attacks = [new AttackSpec { Name = "noise0", Chain = [new AttackStep { Name = "token_noise", Attack = new TokenNoiseAttack(new TokenNoiseOptions { Fraction = 0 }) }] }],
                Calibration = new CalibrationSpec
                {
                    Name = "model_mixing", Calibrator = new ModelMixingCalibrator(new ModelMixingOptions { Fraction = 0.9, CurvePoints = 2 }),
                    ForgetMetrics = [new CalibrationMetric("test_probe", probe)],
                },
            };
        }

        [Fact]
        public void Bumping_a_metric_version_reruns_exactly_the_stages_that_run_the_metric()
        {
            using var dir = new TempDir();
            var v1 = Spec(dir.Path, new VersionOne.ProbeMetric(new NoOptions()));
            var first = StagedExperimentRunner.Run(v1, new RunOptions());
            Assert.Equal(10, first.Executed.Count);

            var v2 = Spec(dir.Path, new VersionTwo.ProbeMetric(new NoOptions()));
            var bumped = StagedExperimentRunner.Run(v2, new RunOptions());
            string[] dependent =
            [
                "evaluate/untrained", "evaluate/target", "evaluate/ga", "attack/target/noise0", "attack/ga/noise0", "calibrate/ga", "report",
            ];
            Assert.Equal(dependent, bumped.Executed);
            Assert.Equal(7, bumped.Executed.Count);
            Assert.Equal(["init/model", "finetune/target", "unlearn/ga"], bumped.Stages.Where(s => s.IsCached).Select(s => s.Id));
            // Same code, so the same numbers: only the provenance of the stored results moved.
            Assert.Equal(File.ReadAllBytes(first.Result.ResultsJsonPath), File.ReadAllBytes(bumped.Result.ResultsJsonPath));
        }

        [Fact]
        public void Versions_are_read_from_the_component_attribute_and_version_one_leaves_keys_as_they_were()
        {
            Assert.Equal(1, ComponentVersions.Of(new VersionOne.ProbeMetric(new NoOptions())));
            Assert.Equal(2, ComponentVersions.Of(new VersionTwo.ProbeMetric(new NoOptions())));
            Assert.Equal(1, ComponentVersions.Of(new EsExactMetric(new NoOptions())));
            Assert.Equal(1, ComponentVersions.Of(new object())); // not a component (built in C#): the baseline

            var options = new JsonObject { ["x"] = 1 };
            ComponentVersions.AddTo(options, "metric_versions", [("es_exact", new EsExactMetric(new NoOptions())), ("test_probe", new VersionOne.ProbeMetric(new NoOptions()))]);
            Assert.Equal("{\"x\":1}", CanonicalJson.Serialize(options));
            ComponentVersions.AddTo(options, "metric_versions", [("es_exact", new EsExactMetric(new NoOptions())), ("test_probe", new VersionTwo.ProbeMetric(new NoOptions()))]);
            Assert.Equal("{\"metric_versions\":{\"test_probe\":2},\"x\":1}", CanonicalJson.Serialize(options));
        }

        [Fact]
        public void AssertVersion_fails_when_a_fixture_and_its_component_disagree()
        {
            ComponentVersionAssert.AssertVersion(new VersionTwo.ProbeMetric(new NoOptions()), 2);
            ComponentVersionAssert.AssertVersion(typeof(EsExactMetric), 1);
            var e = Assert.ThrowsAny<Exception>(() => ComponentVersionAssert.AssertVersion(new VersionOne.ProbeMetric(new NoOptions()), 2));
            Assert.Contains("Version = 2", e.Message);
            e = Assert.ThrowsAny<Exception>(() => ComponentVersionAssert.AssertVersion(typeof(string), 1));
            Assert.Contains("no component attribute", e.Message);
        }
    }
}
