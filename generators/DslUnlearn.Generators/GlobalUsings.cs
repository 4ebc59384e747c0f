// netstandard2.0 has no implicit usings here (ImplicitUsings is off: its default set names System.Net.Http, which
// netstandard2.0 lacks). These three are the part of the SDK's set that the sources use; the CLI, which compiles
// Dsl/ as linked files, gets the same three from its implicit usings. This file stays outside Dsl/ for that reason.
global using System;
global using System.Collections.Generic;
global using System.Linq;
