// The namespaces that most commands name, once for the CLI project (the linked Dsl/ sources see them too).
global using System.CommandLine;
global using DslUnlearn.Engine;
