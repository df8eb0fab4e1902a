using static TorchSharp.torch;

namespace ImcSharp.Models.OnnxOps;

// Pooling and shape operators (one class each, found by the registry, OnnxOperators.All).

/// <summary>MaxPool (2-D; asymmetric pads padded with -inf first).</summary>
public sealed class MaxPool : IOnnxOperator
{
    public string OpType => "MaxPool";
    public Tensor Compute(OnnxNode node)
    {
        node.CheckAutoPad();
        var x = node.Value(0);
        var k = node.Ints("kernel_shape", Array.Empty<long>());
        var p = node.Ints("pads", new long[] { 0, 0, 0, 0 });
        bool symmetric = p[0] == p[2] && p[1] == p[3];
        if (!symmetric) x = nn.functional.pad(x, new[] { p[1], p[3], p[0], p[2] }, value: double.NegativeInfinity);
        return nn.functional.max_pool2d(x, k, node.Ints("strides", k), symmetric ? new[] { p[0], p[1] }
            : new long[] { 0, 0 },
            node.Ints("dilations", new long[] { 1, 1 }), ceil_mode: node.Int("ceil_mode", 0) == 1);
    }
}

/// <summary>AveragePool (2-D, symmetric pads).</summary>
public sealed class AveragePool : IOnnxOperator
{
    public string OpType => "AveragePool";
    public Tensor Compute(OnnxNode node)
    {
        node.CheckAutoPad();
        var k = node.Ints("kernel_shape", Array.Empty<long>());
        var p = node.Ints("pads", new long[] { 0, 0, 0, 0 });
        if (p[0] != p[2] || p[1] != p[3]) throw node.Error("asymmetric pads are not supported for AveragePool");
        if (node.Ints("dilations", new long[] { 1, 1 }).Any(d => d != 1))
            throw node.Error("dilations (opset 19) are not supported for AveragePool");
        return nn.functional.avg_pool2d(node.Value(0), k, node.Ints("strides", k), new[] { p[0], p[1] },
            ceil_mode: node.Int("ceil_mode", 0) == 1,
            count_include_pad: node.Int("count_include_pad", 0) == 1);
    }
}

/// <summary>
/// Reshape (0 keeps the input's size, -1 is inferred). A graph exported with a fixed batch (shape
/// [1, 400] after a 16x5x5 feature map) has its leading size taken as the batch: when the fixed
/// shape holds one export batch's elements and the input holds a whole number of such batches,
/// the leading size becomes the input's batch, so any batch size runs.
/// </summary>
public sealed class Reshape : IOnnxOperator
{
    public string OpType => "Reshape";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        if (node.Int("allowzero", 0) != 0)
            throw node.Error("allowzero = 1 is not supported (0 copies the input's size)");
        var s = node.Longs(1).Select((d, j) => d == 0 ? x.Sizes()[j] : d).ToArray();
        if (s.Length > 0 && s.All(d => d > 0) && x.dim() > 0 && x.size(0) != s[0])
        {
            long perSample = s.Skip(1).Aggregate(1L, (a, d) => a * d);        // elements per sample of the fixed shape
            if (s[0] * perSample != x.numel() && x.size(0) * perSample == x.numel()) s[0] = x.size(0);
        }
        return x.reshape(s);
    }
}

/// <summary>Squeeze the given axes (input, opset 13+, or attribute), or every axis of size 1.</summary>
public sealed class Squeeze : IOnnxOperator
{
    public string OpType => "Squeeze";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var axes = node.Inputs > 1 ? node.Longs(1) : node.Ints("axes", Array.Empty<long>());
        if (axes.Length == 0) return x.squeeze();
        foreach (var a in axes.Select(a => a < 0 ? a + x.dim() : a).OrderByDescending(a => a)) x = x.squeeze(a);
        return x;
    }
}

/// <summary>Unsqueeze at the given axes (input, opset 13+, or attribute), in the output's rank.</summary>
public sealed class Unsqueeze : IOnnxOperator
{
    public string OpType => "Unsqueeze";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var axes = node.Inputs > 1 ? node.Longs(1) : node.Ints("axes", Array.Empty<long>());
        long rank = x.dim() + axes.Length;
        foreach (var a in axes.Select(a => a < 0 ? a + rank : a).OrderBy(a => a)) x = x.unsqueeze(a);
        return x;
    }
}

/// <summary>Pad with a constant (ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end, ...]).</summary>
public sealed class Pad : IOnnxOperator
{
    public string OpType => "Pad";
    public Tensor Compute(OnnxNode node)
    {
        var x = node.Value(0);
        var mode = node.Attr("mode")?.S.ToStringUtf8() ?? "constant";
        if (node.Has(3)) throw node.Error("the axes input (opset 18) is not supported: give pads for every axis");
        if (mode != "constant") throw node.Error($"pad mode {mode} not supported (constant only)");
        var pads = node.Longs(1);
        float value = node.Has(2) ? node.Value(2).item<float>() : 0f;
        int rank = (int)x.dim();
        // torch: last dimension first, (begin, end) pairs.
        var torchPads = new List<long>();
        for (int d = rank - 1; d >= 0; d--) { torchPads.Add(pads[d]); torchPads.Add(pads[d + rank]); }
        return nn.functional.pad(x, torchPads.ToArray(), value: value);
    }
}
