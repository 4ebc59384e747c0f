// Language-feature shims for netstandard2.0 (records and init-only setters). The CLI compiles the Dsl/ sources
// on net10.0, where these types exist already, so they live outside Dsl/.
#if !NET5_0_OR_GREATER
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
#endif
