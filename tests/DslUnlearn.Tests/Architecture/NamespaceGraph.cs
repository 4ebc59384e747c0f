using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace DslUnlearn.Tests.Architecture;

/// <summary>
/// Which namespace of an assembly uses which, read from its compiled metadata: base types, interfaces, field,
/// method and local signatures, attributes and every type, method and field token in the IL bodies. Nested and
/// compiler-generated types (lambdas, iterators, async state machines) count for the type that declares them.
/// Constants and nameof are inlined by the compiler, so a use through them alone is not seen.
/// </summary>
public sealed class NamespaceGraph
{
    /// <summary>from namespace -> to namespace -> the uses behind the edge, as "FromType -> ToType".</summary>
    public IReadOnlyDictionary<string, SortedDictionary<string, SortedSet<string>>> Edges { get; }

    private NamespaceGraph(IReadOnlyDictionary<string, SortedDictionary<string, SortedSet<string>>> edges) => Edges = edges;

    /// <summary>The graph of the namespaces starting with <paramref name="prefix"/> in the assembly at <paramref name="path"/>;
    /// <paramref name="depth"/> > 0 cuts names after that many parts (2: DslUnlearn.Engine.Stages counts as DslUnlearn.Engine).</summary>
    public static NamespaceGraph FromAssembly(string path, string prefix, int depth = 0)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var edges = new Dictionary<string, SortedDictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        string Namespace(TypeDefinitionHandle h)
        {
            var t = md.GetTypeDefinition(h);
            while (t.IsNested) t = md.GetTypeDefinition(t.GetDeclaringType());
            string ns = md.GetString(t.Namespace);
            if (depth <= 0) return ns;
            var parts = ns.Split('.');
            return string.Join('.', parts.Take(depth));
        }
        string Name(TypeDefinitionHandle h)
        {
            var t = md.GetTypeDefinition(h);
            while (t.IsNested) t = md.GetTypeDefinition(t.GetDeclaringType());
            return md.GetString(t.Name);
        }
        bool Counts(string ns) => ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal);

        foreach (var handle in md.TypeDefinitions)
        {
            string from = Namespace(handle);
            if (!Counts(from)) continue;
            var used = new HashSet<TypeDefinitionHandle>();
            new TypeUses(md, used).OfType(handle, pe);
            foreach (var target in used)
            {
                string to = Namespace(target);
                if (to == from || !Counts(to)) continue;
                if (!edges.TryGetValue(from, out var targets)) edges[from] = targets = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
                if (!targets.TryGetValue(to, out var uses)) targets[to] = uses = new SortedSet<string>(StringComparer.Ordinal);
                uses.Add($"{Name(handle)} -> {Name(target)}");
            }
        }
        return new NamespaceGraph(edges);
    }

    /// <summary>The strongly connected components with more than one namespace (Tarjan), each sorted, in name order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles() => StronglyConnected(Edges.ToDictionary(e => e.Key, e => (IEnumerable<string>)e.Value.Keys));

    public static IReadOnlyList<IReadOnlyList<string>> StronglyConnected(IReadOnlyDictionary<string, IEnumerable<string>> graph)
    {
        var nodes = graph.Keys.Concat(graph.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<IReadOnlyList<string>>();
        int next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v); onStack.Add(v);
            foreach (var w in graph.TryGetValue(v, out var ws) ? ws : [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) result.Add(component.Order(StringComparer.Ordinal).ToList());
        }
        foreach (var n in nodes) if (!index.ContainsKey(n)) Visit(n);
        return result.OrderBy(c => c[0], StringComparer.Ordinal).ToList();
    }

    /// <summary>A readable account of a cycle: its namespaces and, for each edge inside it, the uses behind it.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var lines = new List<string> { string.Join(" <-> ", cycle) };
        foreach (var from in cycle)
            if (Edges.TryGetValue(from, out var targets))
                foreach (var (to, uses) in targets)
                    if (cycle.Contains(to)) lines.Add($"  {from} -> {to}: {string.Join(", ", uses)}");
        return string.Join('\n', lines);
    }

    /// <summary>Collects the type definitions one type uses.</summary>
    private sealed class TypeUses(MetadataReader md, HashSet<TypeDefinitionHandle> used) : ISignatureTypeProvider<int, object?>
    {
        private static readonly Dictionary<ushort, OpCode> OpCodesByValue = typeof(OpCodes).GetFields()
            .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => (ushort)o.Value);

        public void OfType(TypeDefinitionHandle handle, PEReader pe)
        {
            var type = md.GetTypeDefinition(handle);
            Entity(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations()) Entity(md.GetInterfaceImplementation(i).Interface);
            Attributes(type.GetCustomAttributes());
            foreach (var g in type.GetGenericParameters()) GenericParameter(g);
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties()) Attributes(md.GetPropertyDefinition(p).GetCustomAttributes());
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                method.DecodeSignature(this, null);
                Attributes(method.GetCustomAttributes());
                foreach (var p in method.GetParameters()) Attributes(md.GetParameter(p).GetCustomAttributes());
                foreach (var g in method.GetGenericParameters()) GenericParameter(g);
                if (method.RelativeVirtualAddress == 0) continue;
                try { Body(pe.GetMethodBody(method.RelativeVirtualAddress)); }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException)
                {
                    // Name the method whose IL the reader could not walk, so a failure says where to look.
                    throw new InvalidOperationException($"reading the IL of {md.GetString(type.Namespace)}.{md.GetString(type.Name)}.{md.GetString(method.Name)}: {e.Message}", e);
                }
            }
            foreach (var n in type.GetNestedTypes()) OfType(n, pe);
        }

        private void GenericParameter(GenericParameterHandle g)
        {
            foreach (var c in md.GetGenericParameter(g).GetConstraints()) Entity(md.GetGenericParameterConstraint(c).Type);
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes) Entity(md.GetCustomAttribute(a).Constructor);
        }

        private void Body(MethodBodyBlock body)
        {
            if (!body.LocalSignature.IsNil) md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            foreach (var region in body.ExceptionRegions) Entity(region.CatchType);
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                ushort value = il.ReadByte();
                if (value == 0xFE) value = (ushort)(0xFE00 | il.ReadByte());
                var op = OpCodesByValue[value];
                switch (op.OperandType)
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                    case OperandType.InlineVar: il.Offset += 2; break;
                    case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                    case OperandType.InlineSwitch:
                        // Read the count first: `il.Offset += 4 * il.ReadInt32()` adds to the offset from before the read,
                        // landing 4 bytes short, inside the jump table (it failed on MetricNeedsText.For's switch).
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType or OperandType.InlineSig:
                        int token = il.ReadInt32();
                        if ((token >>> 24) != 0x70) Entity(MetadataTokens.EntityHandle(token)); // 0x70: a user string
                        break;
                    default: il.Offset += 4; break; // InlineI, InlineBrTarget, InlineString, ShortInlineR
                }
            }
        }

        private void Entity(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition: used.Add((TypeDefinitionHandle)handle); break;
                case HandleKind.TypeSpecification: md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null); break;
                case HandleKind.MethodDefinition: used.Add(md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()); break;
                case HandleKind.FieldDefinition: used.Add(md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType()); break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var sig = md.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (sig.GetKind() == StandaloneSignatureKind.Method) sig.DecodeMethodSignature(this, null);
                    break;
            }
        }

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) { used.Add(handle); return 0; }
        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
            => reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? context, int index) => 0;
        public int GetGenericTypeParameter(object? context, int index) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }
}
