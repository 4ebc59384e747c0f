// The namespaces that most of the runtime's files name (tensors, JSON, invariant text), once for the project, so that
// a file's own using block lists only the DslUnlearn layers it uses (NamespaceCycleTests reads those uses from the IL).
global using System.Globalization;
global using System.Text;
global using System.Text.Json;
global using System.Text.Json.Nodes;
global using TorchSharp;
global using static TorchSharp.torch;
