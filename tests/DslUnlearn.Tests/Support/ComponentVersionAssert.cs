using DslUnlearn.Components;
using System.Reflection;

namespace DslUnlearn.Tests.Support;

/// <summary>
/// For golden tests: a fixture records the component version its expected values were computed for, next to those
/// values. <see cref="AssertVersion(object, int)"/> fails when the component's <see cref="ComponentAttribute.Version"/>
/// differs, so a change in numbers (which forces a new fixture) without a version bump (which invalidates stored
/// results) fails the test, and so does a bump without a re-checked fixture.
/// </summary>
public static class ComponentVersionAssert
{
    public static void AssertVersion(object component, int fixtureVersion) => AssertVersion(component.GetType(), fixtureVersion);

    public static void AssertVersion(Type componentType, int fixtureVersion)
    {
        var attribute = componentType.GetCustomAttribute<ComponentAttribute>(inherit: false)
            ?? throw new Xunit.Sdk.XunitException($"{componentType.Name} has no component attribute ([Metric], [UnlearningMethod], [Attack], [Calibrator]), so it has no version.");
        int version = ComponentVersions.Of(componentType);
        if (version != fixtureVersion)
            throw new Xunit.Sdk.XunitException(
                $"The fixture was computed for version {fixtureVersion} of '{attribute.Name}' ({componentType.Name}), but the component is at version {version}. " +
                (version < fixtureVersion
                    ? $"The fixture's numbers changed: if the component's numbers changed with them, bump [{AttributeName(attribute)}(\"{attribute.Name}\", Version = {fixtureVersion})] so stored results are recomputed."
                    : $"The component was bumped: regenerate the fixture with its script and record version {version} in it."));
    }

    private static string AttributeName(ComponentAttribute a) => a.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal);
}
