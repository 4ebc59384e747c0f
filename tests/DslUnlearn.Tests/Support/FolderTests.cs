namespace DslUnlearn.Tests.Support;

/// <summary>A test class whose tests write files: xUnit builds the class once per test, so each test gets its own
/// temporary folder, removed when the test ends.</summary>
public abstract class FolderTests : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>The subfolder <paramref name="name"/> of this test's folder, created.</summary>
    protected string Folder(string name) => _dir.Folder(name);

    public void Dispose()
    {
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
