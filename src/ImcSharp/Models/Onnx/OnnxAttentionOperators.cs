using ImcSharp.Nn;
using static TorchSharp.torch;

namespace ImcSharp.Models.OnnxOps;

// Attention, normalisation and the tensor arithmetic exporters put around them (one class each, found by the
// registry, OnnxOperators.All). The operations without static weights run digitally and are priced as such
// (Nn.DigitalOps): products between activations, softmax, LayerNorm, erf and GELU.

/// <summary>
/// LayerNormalization over the last axis (opset 17): a <see cref="DigitalLayerNorm"/> with the constant scale and
/// bias, so the parameters train like a built-in network's.
/// </summary>
public sealed class LayerNormalization() : WeightLayer("LayerNormalization")
{
    public override void Import(OnnxImport import, OnnxNode node)
    {
        var axis = node.Int("axis", -1);
        if (axis != -1) throw node.Error($"axis {axis}: only the last axis (-1) is supported");
        if (node.Proto.Output.Skip(1).Any(o => o.Length > 0))
            throw node.Error("the Mean and InvStdDev outputs are not supported (Y only)");
        var input = node.Proto.Input;
        if (import.Constant(input[1]) is not { } scale || scale.dim() != 1)
            throw node.Error("the scale must be a constant vector (an initializer)");
        var bias = node.Has(2) ? import.Constant(input[2]) ?? throw node.Error("the bias must be a constant") : null;
        var ln = new DigitalLayerNorm(node.OpName, scale.size(0), node.Float("epsilon", 1e-5f));
        using (no_grad())
        {
            ln.weight.copy_(scale);
            if (bias is not null) ln.bias.copy_(bias);
        }
        import.Used.Add(input[1]);
        if (bias is not null) import.Used.Add(input[2]);
        import.Register(node, input[1], ln);
    }
}

/// <summary>Erf: digital (GELU's transcendental, as exporters write GELU below opset 20).</summary>
public sealed class Erf() : Unary("Erf", (n, x) => DigitalOps.Erf(n.OpName, x, x.dim() == 0 ? 1 : x.size(0)));

/// <summary>Gelu (opset 20): exact, or the tanh approximation (<c>approximate</c> = "tanh"); digital.</summary>
public sealed class Gelu : IOnnxOperator
{
    public string OpType => "Gelu";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var mode = node.Attr("approximate")?.S.ToStringUtf8() ?? "none";
        if (mode == "none") return DigitalOps.Gelu(node.OpName, x, x.size(0));
        if (mode != "tanh") throw node.Error($"approximate {mode}: expected none or tanh");
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), priced as the exact one.
        DigitalOps.Count(node.OpName, DigitalOpKind.Gelu, x, x.size(0));
        return x.mul(0.5).mul(x.pow(3).mul(0.044715).add(x).mul(Math.Sqrt(2 / Math.PI)).tanh().add(1));
    }
}

/// <summary>Pow: x^y (broadcasting).</summary>
public sealed class Pow() : Binary("Pow", (a, b) => a.pow(b));

/// <summary>Equal: a == b (broadcasting), a bool tensor.</summary>
public sealed class Equal() : Binary("Equal", (a, b) => a.eq(b));

/// <summary>Where: condition ? x : y (broadcasting).</summary>
public sealed class Where : IOnnxOperator
{
    public string OpType => "Where";
    public Tensor Compute(OnnxNode node) =>
        where(node.Value(0).to_type(ScalarType.Bool), node.Value(1), node.Value(2));
}

/// <summary>Cast to float, double (as float), int32 or int64 (as int64), or bool.</summary>
public sealed class Cast : IOnnxOperator
{
    public string OpType => "Cast";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var to = node.Int("to", 0);
        var type = to switch
        {
            1 or 11 => ScalarType.Float32,
            6 or 7 => ScalarType.Int64,
            9 => ScalarType.Bool,
            _ => throw node.Error($"cast to ONNX type {to}: expected float (1), int32 (6), int64 (7), bool (9) or " +
                "double (11)"),
        };
        // ONNX casts a float to an integer by truncation toward zero, as torch does.
        return x.dtype == type ? x.alias() : x.to_type(type);
    }
}

/// <summary>
/// Expand: the input broadcast with the shape (ONNX broadcasts both ways: a 1 in the shape keeps the input's size).
/// </summary>
public sealed class Expand : IOnnxOperator
{
    public string OpType => "Expand";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var shape = node.Longs(1);
        var sizes = x.Sizes();
        int rank = Math.Max(sizes.Length, shape.Length);
        var output = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long a = i - (rank - sizes.Length) is var ia && ia >= 0 ? sizes[ia] : 1;
            long b = i - (rank - shape.Length) is var ib && ib >= 0 ? shape[ib] : 1;
            if (a != b && a != 1 && b != 1)
                throw node.Error($"cannot broadcast [{string.Join(", ", sizes)}] to [{string.Join(", ", shape)}]");
            output[i] = a == 1 ? b : a;
        }
        return x.expand(output);
    }
}

/// <summary>
/// Slice (opset 10+): starts, ends, optional axes and steps as inputs; indices clamped as ONNX does; positive steps.
/// </summary>
public sealed class Slice : IOnnxOperator
{
    public string OpType => "Slice";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var (starts, ends) = (node.Longs(1), node.Longs(2));
        var axes = node.Has(3) ? node.Longs(3) : Enumerable.Range(0, starts.Length).Select(a => (long)a).ToArray();
        var steps = node.Has(4) ? node.Longs(4) : Enumerable.Repeat(1L, starts.Length).ToArray();
        for (int i = 0; i < starts.Length; i++)
        {
            if (steps[i] <= 0) throw node.Error($"step {steps[i]}: only positive steps are supported");
            int axis = (int)(axes[i] < 0 ? axes[i] + x.dim() : axes[i]);
            long size = x.size(axis);
            long Clamp(long v) => Math.Clamp(v < 0 ? v + size : v, 0, size);
            long start = Clamp(starts[i]), end = Math.Max(start, Clamp(ends[i]));
            x = x.slice(axis, start, end, steps[i]);
        }
        return x;
    }
}
