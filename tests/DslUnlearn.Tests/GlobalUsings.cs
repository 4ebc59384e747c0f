// The namespaces that most runtime tests name, once for the test project (Xunit comes from the project file).
global using System.Text.Json;
global using DslUnlearn.Data;
global using DslUnlearn.Engine;
global using DslUnlearn.Metrics;
global using DslUnlearn.Models;
global using DslUnlearn.Specs;
global using DslUnlearn.Specs.Vocabulary;
global using DslUnlearn.Tests.Support;
global using TorchSharp;
global using static TorchSharp.torch;
