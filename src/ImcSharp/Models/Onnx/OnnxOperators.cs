using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Models.OnnxOps;

// The operators ImcSharp imports, one class each (found by the registry, OnnxOperators.All). Weight
// layers (Conv, Gemm, MatMul by a constant, BatchNormalization) become torch modules at import, so
// a hardware config converts them like a built-in network's layers; the rest run as torch operations.

/// <summary>An operator of one input computed by one torch function.</summary>
public abstract class Unary(string opType, Func<OnnxNode, Tensor, Tensor> f) : IOnnxOperator
{
    public string OpType => opType;
    public Tensor Compute(OnnxNode node) => f(node, node.Value(0));
}

/// <summary>An operator of two inputs computed by one torch function (broadcasting).</summary>
public abstract class Binary(string opType, Func<Tensor, Tensor, Tensor> f) : IOnnxOperator
{
    public string OpType => opType;
    public Tensor Compute(OnnxNode node) => f(node.Value(0), node.Value(1));
}

/// <summary>A node that runs the weight layer it registered at import.</summary>
public abstract class WeightLayer(string opType) : IOnnxOperator
{
    public string OpType => opType;
    public abstract void Import(OnnxImport import, OnnxNode node);
    public virtual Tensor Compute(OnnxNode node) => node.Layer!.call(node.Value(0));
}

/// <summary>
/// Conv (2-D; grouped, dilated; asymmetric pads applied before the layer): a <see cref="FloatConv2d"/>.
/// </summary>
public sealed class Conv() : WeightLayer("Conv")
{
    public override void Import(OnnxImport import, OnnxNode node)
    {
        node.CheckAutoPad();
        var input = node.Proto.Input;
        if (import.Constant(input[1]) is not { } w) throw node.Error("the weight must be a constant (an initializer)");
        if (w.dim() != 4) throw node.Error($"only 2-D convolutions are supported (weight of rank {w.dim()})");
        long group = node.Int("group", 1);
        var k = node.Ints("kernel_shape", new[] { w.size(2), w.size(3) });
        var s = node.Ints("strides", new long[] { 1, 1 });
        var d = node.Ints("dilations", new long[] { 1, 1 });
        var p = node.Ints("pads", new long[] { 0, 0, 0, 0 });
        bool symmetric = p[0] == p[2] && p[1] == p[3];
        bool hasBias = node.Has(2);
        var conv = new FloatConv2d(w.size(1) * group, w.size(0), (k[0], k[1]), stride: (s[0], s[1]), padding: symmetric
            ? (p[0], p[1]) : (0, 0),
            dilation: (d[0], d[1]), groups: group, hasBias: hasBias);
        using (no_grad())
        {
            conv.weight!.copy_(w);
            if (hasBias) conv.bias!.copy_(import.Constant(input[2])!);
        }
        import.Used.Add(input[1]);
        if (hasBias) import.Used.Add(input[2]);
        if (!symmetric) import.PadBefore(node, new[] { p[1], p[3], p[0], p[2] });
        import.Register(node, input[1], conv);
    }

    public override Tensor Compute(OnnxNode node) =>
        node.Layer!.call(node.PadsBefore is { } pads ? nn.functional.pad(node.Value(0), pads) : node.Value(0));
}

/// <summary>Gemm (transB, a constant B, alpha = beta = 1): a Linear layer.</summary>
public sealed class Gemm() : WeightLayer("Gemm")
{
    public override void Import(OnnxImport import, OnnxNode node)
    {
        if (node.Int("transA", 0) != 0) throw node.Error("transA = 1 is not supported");
        if (node.Float("alpha", 1) != 1
            || node.Float("beta", 1) != 1) throw node.Error("alpha and beta other than 1 are not supported");
        var input = node.Proto.Input;
        if (import.Constant(input[1]) is not { } b) throw node.Error("operand B must be a constant (an initializer)");
        var weight = node.Int("transB", 0) == 1 ? b : b.t();                                      // [N, K]
        bool hasBias = node.Has(2);
        var lin = nn.Linear(weight.size(1), weight.size(0), hasBias: hasBias);
        using (no_grad())
        {
            lin.weight!.copy_(weight);
            if (hasBias) lin.bias!.copy_(import.Constant(input[2])!.reshape(-1));
        }
        import.Used.Add(input[1]);
        if (hasBias) import.Used.Add(input[2]);
        import.Register(node, input[1], lin);
    }
}

/// <summary>
/// MatMul: by a constant 2-D matrix a Linear layer (on crossbars); between activations (attention's Q K^T, A V) a
/// digital product (<see cref="DigitalOps.MatMul"/>).
/// </summary>
public sealed class MatMul() : WeightLayer("MatMul")
{
    public override void Import(OnnxImport import, OnnxNode node)
    {
        var name = node.Proto.Input[1];
        if (!import.Initializers.TryGetValue(name, out var b) || b.Dims.Count != 2) return;
        var w = OnnxTensors.ToTensor(b);
        var lin = nn.Linear(w.size(0), w.size(1), hasBias: false);
        using (no_grad()) lin.weight!.copy_(w.t());
        import.Register(node, name.StartsWith("onnx::", StringComparison.Ordinal) ? ScopeName(node) : name, lin);
        import.Used.Add(name);
    }

    /// <summary>
    /// A name for a weight the exporter left unnamed ("onnx::MatMul_295", a Linear's transposed weight): the node's
    /// module scope, "/blocks/blocks.0/attn/q/MatMul" -> "blocks.0.attn.q" (a scope repeating its parent's path once).
    /// </summary>
    static string ScopeName(OnnxNode node)
    {
        var parts = node.OpName.Split('/', StringSplitOptions.RemoveEmptyEntries).SkipLast(1).ToList();
        for (int i = parts.Count - 1; i > 0; i--)
            if (parts[i].StartsWith(parts[i - 1] + ".", StringComparison.Ordinal)) parts.RemoveAt(i - 1);
        return parts.Count == 0 ? node.Proto.Input[1] : string.Join(".", parts);
    }

    public override Tensor Compute(OnnxNode node) => node.Layer is { } layer ? layer.call(node.Value(0))
        : DigitalOps.MatMul(node.OpName, node.Value(0), node.Value(1), node.Value(0).size(0));
}

/// <summary>BatchNormalization (constant scale, bias, mean, variance): a BatchNorm2d.</summary>
public sealed class BatchNormalization() : WeightLayer("BatchNormalization")
{
    public override void Import(OnnxImport import, OnnxNode node)
    {
        var names = node.Proto.Input.Skip(1).Take(4).ToArray();
        if (names.Length != 4
            || names.Any(n => !import.Initializers.ContainsKey(n))) throw node.Error(
            "scale, bias, mean and variance must be constants");
        var (scale, bias, mean, var) =
            (import.Constant(names[0])!, import.Constant(names[1])!, import.Constant(names[2])!,
            import.Constant(names[3])!);
        var bn = nn.BatchNorm2d(scale.size(0), eps: node.Float("epsilon", 1e-5f));
        using (no_grad())
        {
            bn.weight!.copy_(scale);
            bn.bias!.copy_(bias);
            bn.running_mean!.copy_(mean);
            bn.running_var!.copy_(var);
        }
        foreach (var n in names) import.Used.Add(n);
        import.Register(node, names[0], bn);
    }
}

/// <summary>Constant: a buffer, registered at import; nothing runs.</summary>
public sealed class Constant : IOnnxOperator
{
    public string OpType => "Constant";

    public void Import(OnnxImport import, OnnxNode node)
    {
        var value = node.Attr("value")?.T ?? throw node.Error("expected a tensor 'value' attribute");
        import.AddConstant(node.Proto.Output[0], OnnxTensors.ToTensor(value));
    }

    public Tensor Compute(OnnxNode node) => throw new InvalidOperationException("a Constant is a buffer");
}

public sealed class Add() : Binary("Add", (a, b) => a.add(b));
public sealed class Sub() : Binary("Sub", (a, b) => a.sub(b));
public sealed class Mul() : Binary("Mul", (a, b) => a.mul(b));
/// <summary>Div; between integers truncated toward zero, as ONNX divides them (shape arithmetic).</summary>
public sealed class Div() : Binary("Div", (a, b) =>
    a.is_floating_point() || b.is_floating_point() ? a.div(b) : a.div(b, rounding_mode: RoundingMode.trunc));
public sealed class Relu() : Unary("Relu", (_, x) => nn.functional.relu(x));
public sealed class LeakyRelu() : Unary("LeakyRelu", (n, x) => nn.functional.leaky_relu(x, n.Float("alpha", 0.01f)));
public sealed class Sigmoid() : Unary("Sigmoid", (_, x) => x.sigmoid());
public sealed class Tanh() : Unary("Tanh", (_, x) => x.tanh());
public sealed class HardSwish() : Unary("HardSwish", (_, x) => nn.functional.hardswish(x));
public sealed class HardSigmoid()
    : Unary("HardSigmoid", (n, x) => x.mul(n.Float("alpha", 0.2f)).add(n.Float("beta", 0.5f)).clamp(0, 1));
public sealed class GlobalAveragePool()
    : Unary("GlobalAveragePool", (_, x) => x.mean(new long[] { 2, 3 }, keepdim: true));
public sealed class Identity() : Unary("Identity", (_, x) => x);
public sealed class Dropout() : Unary("Dropout", (_, x) => x);
/// <summary>Softmax along <c>axis</c> (opset 13's meaning); digital (<see cref="DigitalOps.Softmax"/>).</summary>
public sealed class Softmax()
    : Unary("Softmax", (n, x) => DigitalOps.Softmax(n.OpName, x, n.Axis(x.dim(), -1), x.dim() == 0 ? 1 : x.size(0)));
public sealed class LogSoftmax() : Unary("LogSoftmax", (n, x) => x.log_softmax(n.Axis(x.dim(), -1)));
public sealed class Transpose() : Unary("Transpose", (n, x) =>
    x.permute(n.Ints("perm", Enumerable.Range(0, (int)x.dim()).Reverse().Select(a => (long)a).ToArray())));

/// <summary>Flatten at "axis": [outer, rest].</summary>
public sealed class Flatten() : Unary("Flatten", (n, x) =>
    x.reshape(x.Sizes().Take(n.Axis(x.dim())).Aggregate(1L, (a, b) => a * b), -1));

/// <summary>Concat along "axis".</summary>
public sealed class Concat : IOnnxOperator
{
    public string OpType => "Concat";
    public Tensor Compute(OnnxNode node) =>
        cat(Enumerable.Range(0, node.Inputs).Select(node.Value).ToArray(), node.Axis(node.Value(0).dim()));
}

/// <summary>Clip to [min, max] (inputs, opset 11+, or attributes).</summary>
public sealed class Clip : IOnnxOperator
{
    public string OpType => "Clip";
    public Tensor Compute(OnnxNode node)
    {
        float? min = node.Has(1) ? node.Value(1).item<float>() : node.Attr("min") is { } a ? a.F : null;
        float? max = node.Has(2) ? node.Value(2).item<float>() : node.Attr("max") is { } b ? b.F : null;
        return node.Value(0).clamp(min.HasValue ? (Scalar)min.Value : null, max.HasValue ? (Scalar)max.Value : null);
    }
}
