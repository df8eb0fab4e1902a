using static TorchSharp.torch;

namespace ImcSharp.Models.OnnxOps;

// Recurrent operators and the shape arithmetic exporters put around them (one class each, found by the registry,
// OnnxOperators.All).

/// <summary>Shape (opset 15's start and end included): the input's sizes as int64.</summary>
public sealed class Shape : IOnnxOperator
{
    public string OpType => "Shape";
    public Tensor Compute(OnnxNode node)
    {
        var sizes = node.Value(0).Sizes();
        long Clamp(long a) => Math.Clamp(a < 0 ? a + sizes.Length : a, 0, sizes.Length);
        long start = Clamp(node.Int("start", 0)), end = Clamp(node.Int("end", sizes.Length));
        return tensor(sizes[(int)start..(int)Math.Max(start, end)], ScalarType.Int64);
    }
}

/// <summary>Gather: entries of the data along <c>axis</c> at the indices (negative counts from the end).</summary>
public sealed class Gather : IOnnxOperator
{
    public string OpType => "Gather";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var indices = node.Value(1).to_type(ScalarType.Int64);
        int axis = node.Axis(x.dim(), 0);
        var flat = indices.flatten();
        flat = where(flat.lt(0), flat.add(x.size(axis)), flat);
        var picked = x.index_select(axis, flat.to(x.device));
        var (xs, idx) = (x.Sizes(), indices.Sizes());
        var shape = xs[..axis].Concat(idx).Concat(xs[(axis + 1)..]).ToArray();
        return picked.reshape(shape);
    }
}

/// <summary>ConstantOfShape: a tensor of the given shape filled with the <c>value</c> attribute (default 0.0f).
/// </summary>
public sealed class ConstantOfShape : IOnnxOperator
{
    public string OpType => "ConstantOfShape";
    public Tensor Compute(OnnxNode node)
    {
        var shape = node.Longs(0);
        if (node.Attr("value")?.T is not { } t) return zeros(shape, ScalarType.Float32);
        using var value = OnnxTensors.ToTensor(t);
        return full(shape, value.flatten()[0].ToScalar(), value.dtype);
    }
}

/// <summary>
/// LSTM and GRU (forward direction, layout 0, default activations): a <see cref="RecurrentLayer"/> whose input and
/// recurrent projections are Linear layers (so a hardware config puts them on crossbars), the gate blocks of W, R
/// and B reordered from ONNX's order to torch's. Outputs Y [T, 1, B, H], Y_h [1, B, H] and (LSTM) Y_c; an all-zero
/// initial state is the recurrent layer's zero state (no recurrent product at step 0).
/// </summary>
public abstract class RecurrentOperator(string opType, int gates, int[] torchFromOnnx) : IOnnxOperator
{
    public string OpType => opType;

    /// <summary>The layer for I inputs and H hidden units, its gates priced under <paramref name="opName"/>.</summary>
    protected abstract RecurrentLayer Make(int inputs, int hidden, string opName);

    /// <summary>Refuses the attributes this operator does not implement.</summary>
    protected virtual void Check(OnnxNode node)
    {
        if (node.Attr("direction") is { } d && d.S.ToStringUtf8() is var dir && dir != "forward")
            throw node.Error($"direction {dir} is not supported (forward only)");
        if (node.Int("layout", 0) != 0) throw node.Error("layout 1 is not supported (export with layout 0)");
        foreach (var a in new[] { "activations", "activation_alpha", "activation_beta", "clip" })
            if (node.Attr(a) is not null)
                throw node.Error($"attribute {a} is not supported (default activations only)");
        if (node.Has(4)) throw node.Error("sequence_lens is not supported (every sequence runs all its steps)");
    }

    public void Import(OnnxImport import, OnnxNode node)
    {
        Check(node);
        var input = node.Proto.Input;
        if (import.Constant(input[1]) is not { } w || import.Constant(input[2]) is not { } r)
            throw node.Error("W and R must be constants (initializers)");
        int hidden = (int)node.Int("hidden_size", r.size(2));
        if (w.dim() != 3 || w.size(0) != 1 || w.size(1) != gates * hidden || r.size(1) != gates * hidden)
            throw node.Error($"W [{string.Join(", ", w.Sizes())}] and R [{string.Join(", ", r.Sizes())}]: expected " +
                $"[1, {gates * hidden}, inputs] and [1, {gates * hidden}, {hidden}]");
        var layer = Make((int)w.size(2), hidden, node.OpName);
        var b = node.Has(3) ? import.Constant(input[3]) ?? throw node.Error("B must be a constant (an initializer)")
            : zeros(1, 2 * gates * hidden);
        var p = layer.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad())
        {
            p["ih.weight"].copy_(Reorder(w[0], hidden));
            p["hh.weight"].copy_(Reorder(r[0], hidden));
            p["ih.bias"].copy_(Reorder(b[0].narrow(0, 0, gates * hidden), hidden));
            p["hh.bias"].copy_(Reorder(b[0].narrow(0, gates * hidden, gates * hidden), hidden));
        }
        foreach (var i in new[] { 1, 2, 3 }) if (node.Has(i)) import.Used.Add(input[i]);
        import.Register(node, input[1], layer);
    }

    /// <summary>The gate blocks of <paramref name="t"/> [G H, ..] in torch's order.</summary>
    Tensor Reorder(Tensor t, int hidden) =>
        cat(torchFromOnnx.Select(g => t.narrow(0, (long)g * hidden, hidden)).ToArray(), 0);

    public Tensor Compute(OnnxNode node) => ComputeOutputs(node)[0];

    public Tensor[] ComputeOutputs(OnnxNode node)
    {
        var layer = (RecurrentLayer)node.Layer!;
        Tensor? State(int i) => node.Has(i) && node.Value(i) is var s && s.count_nonzero().item<long>() > 0 ? s[0]
            : null;
        var (states, h, c) = layer.Sequence(node.Value(0).transpose(0, 1), State(5), gates == 4 ? State(6) : null);
        var y = states.transpose(0, 1).unsqueeze(1);
        return c is null ? new[] { y, h.unsqueeze(0) } : new[] { y, h.unsqueeze(0), c.unsqueeze(0) };
    }
}

/// <summary>LSTM: ONNX's gates i, o, f, c become torch's i, f, g, o.</summary>
public sealed class Lstm() : RecurrentOperator("LSTM", 4, new[] { 0, 2, 3, 1 })
{
    protected override RecurrentLayer Make(int inputs, int hidden, string opName) =>
        new LstmLayer(inputs, hidden, opName);

    protected override void Check(OnnxNode node)
    {
        base.Check(node);
        if (node.Int("input_forget", 0) != 0) throw node.Error("input_forget = 1 is not supported");
        if (node.Has(7)) throw node.Error("peepholes (input P) are not supported");
    }
}

/// <summary>GRU: ONNX's gates z, r, h become torch's r, z, n; linear_before_reset = 1 (torch's GRU) only.</summary>
public sealed class Gru() : RecurrentOperator("GRU", 3, new[] { 1, 0, 2 })
{
    protected override RecurrentLayer Make(int inputs, int hidden, string opName) =>
        new GruLayer(inputs, hidden, opName);

    protected override void Check(OnnxNode node)
    {
        base.Check(node);
        if (node.Int("linear_before_reset", 0) != 1) throw node.Error(
            "linear_before_reset = 0 is not supported (torch's GRU, as exported, has 1)");
    }
}
