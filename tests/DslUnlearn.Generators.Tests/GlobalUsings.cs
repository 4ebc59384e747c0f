// The namespaces that most generator tests name, once for the test project (Xunit comes from the project file).
global using DslUnlearn.Generators.Dsl;
global using DslUnlearn.Generators.Tests.Infrastructure;
global using Microsoft.CodeAnalysis;
