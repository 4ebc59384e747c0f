namespace DslUnlearn.Tests.Architecture;

/// <summary>
/// TorchSharp 0.107 members that make a Scalar inside themselves and pass it to native code without holding it (read
/// from TorchSharp.dll's IL: the member, or one it calls, converts a number to a Scalar or calls ToScalar() and never
/// disposes it). A call to one of them is a temporary-Scalar site even though the caller passes no Scalar. Members
/// that take an explicit Scalar (add(b, alpha), mul(s)) are not here: the conversion then happens at the call site,
/// where <see cref="ScalarSites"/> sees it. Signatures are "Type.Member(parameter types)" as Roslyn shows them.
/// </summary>
internal static class HiddenScalarMembers
{
    private static readonly string[] Numbers = ["int", "long", "float", "double"];

    public static readonly IReadOnlyDictionary<string, string> Why = Build();

    private static Dictionary<string, string> Build()
    {
        var why = new Dictionary<string, string>();
        void Add(string signature, string reason) => why.Add(signature, reason);

        // a op number / number op a: the operator converts the number (op_Implicit) and calls add/sub/mul/div/remainder.
        foreach (var op in (string[])["op_Addition", "op_Subtraction", "op_Multiply", "op_Division"])
            foreach (var n in Numbers)
            {
                Add($"torch.Tensor.{op}(Tensor, {n})", "the operator converts the number to a Scalar");
                Add($"torch.Tensor.{op}({n}, Tensor)", "the operator converts the number to a Scalar");
            }
        foreach (var n in Numbers)
            Add($"torch.Tensor.op_Modulus(Tensor, {n})", "the operator converts the number to a Scalar");

        const string alpha = "calls add(.., alpha) with alpha = 1 made inside";
        Add("torch.Tensor.op_Addition(Tensor, Tensor)", alpha);
        Add("torch.Tensor.op_Addition(Tensor, Scalar)", alpha);
        Add("torch.Tensor.op_Addition(Scalar, Tensor)", alpha);
        Add("torch.Tensor.op_Subtraction(Scalar, Tensor)", "negative().add(s, alpha) with alpha = 1 made inside");
        Add("torch.Tensor.add(Tensor)", alpha);
        Add("torch.Tensor.add(Scalar)", alpha);
        Add("torch.Tensor.add_(Tensor)", alpha);
        Add("torch.Tensor.add_(Scalar)", alpha);
        Add("torch.add(Tensor, Tensor)", alpha);
        Add("torch.add(Tensor, Scalar)", alpha);
        Add("torch.add_(Tensor, Tensor)", alpha);
        Add("torch.add_(Tensor, Scalar)", alpha);
        Add("torch.Tensor.addcdiv(Tensor, Tensor)", "value = 1 made inside");
        Add("torch.Tensor.addcdiv_(Tensor, Tensor)", "value = 1 made inside");
        Add("torch.Tensor.square()", "pow(2) with the exponent made inside");
        Add("torch.square(Tensor)", "pow(2) with the exponent made inside");
        Add("torch.arange(Scalar, ScalarType?, Device, bool)", "start = 0 and step = 1 made inside");
        Add("torch.arange(Scalar, Scalar, ScalarType?, Device, bool)", "step = 1 made inside");
        Add("torch.normal(double, double, ReadOnlySpan<long>, ScalarType?, Device, bool, Generator, string[])", "mean and std made inside");
        Add("torch.normal(Tensor, Tensor, Generator)", "mean + std * randn: the + has the hidden alpha");
        Add("torch.Tensor.softplus(double, double)", "beta and threshold made inside");
        Add("torch.nn.functional.softplus(Tensor, double, double)", "beta and threshold made inside");
        Add("torch.Tensor.elu(double)", "alpha, scale and input_scale made inside");
        Add("torch.Tensor.elu_(double)", "alpha, scale and input_scale made inside");
        Add("torch.nn.functional.elu(Tensor, double, bool)", "alpha, scale and input_scale made inside");
        Add("torch.Tensor.celu()", "alpha made inside");
        Add("torch.Tensor.celu_()", "alpha made inside");
        Add("torch.nn.functional.celu(Tensor, double, bool)", "alpha made inside");
        Add("torch.nn.functional.leaky_relu(Tensor, double, bool)", "negative_slope made inside");
        Add("torch.nn.functional.hardtanh(Tensor, double, double, bool)", "min_val and max_val made inside");
        Add("torch.nn.functional.threshold(Tensor, double, double, bool)", "threshold and value made inside");
        Add("torch.nn.functional.mish(Tensor, bool)", "calls softplus(x, 1, 20)");
        Add("torch.nn.functional.softsign(Tensor, bool)", "1 + abs(x): a number operator");
        Add("torch.linalg.vector_norm(Tensor, double, long[], bool)", "ord made inside");
        Add("torch.linalg.matrix_norm(Tensor, double, long[], bool)", "ord made inside");

        // Reading a value out: tensor.ToScalar() (a temporary) and then its native toFloat/toLong.
        foreach (var to in (string[])["ToSingle", "ToDouble", "ToHalf", "ToBFloat16", "ToByte", "ToSByte", "ToInt16",
                     "ToInt32", "ToInt64", "ToBoolean", "ToComplex32", "ToComplex64", "ToComplexFloat32", "ToComplexFloat64"])
            Add($"TensorExtensionMethods.{to}(Tensor)", "reads the value through a temporary tensor.ToScalar()");
        foreach (var n in (string[])["float", "double", "byte", "sbyte", "short", "int", "long", "bool"])
            Add($"torch.Tensor.op_Explicit(Tensor)->{n}", "the cast reads the value through a temporary tensor.ToScalar()");
        Add("torch.Tensor.tolist()", "reads each element through a temporary ToScalar()");
        return why;
    }
}
