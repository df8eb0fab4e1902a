using ImcSharp.Nn;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// An ONNX graph (parsed with OnnxSharp, the ONNX protobuf schema) run as a TorchSharp module.
/// Conv (grouped, dilated), Gemm and MatMul with a constant weight become torch Conv2d and Linear
/// submodules, so a hardware config converts them to analog layers like a built-in network's;
/// BatchNormalization becomes a BatchNorm2d; every other constant is a buffer; the rest of the
/// graph runs as torch operations, node by node in the graph's (topological) order. Submodule
/// and buffer names are the initializers' names with '.' replaced by '_' (the weight's suffix
/// dropped: "blocks.0.conv1.weight" is layer "blocks_0_conv1"). An operator or attribute outside
/// <see cref="Supported"/> is one error naming the node, the operator and what is supported.
/// </summary>
public sealed class OnnxNetwork : nn.Module<Tensor, Tensor>
{
    public static readonly string[] Supported =
    {
        "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid",
        "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Squeeze",
        "Unsqueeze", "Identity", "Dropout", "Softmax", "LogSoftmax", "Pad", "Constant",
    };

    readonly GraphProto _graph;
    readonly string _source;
    readonly string _input, _output;
    // Weight layers in a list (so a conversion to analog layers can replace them in place), found by node output.
    readonly List<nn.Module<Tensor, Tensor>> _layerList = new();
    readonly Dictionary<string, int> _layerIndex = new();
    readonly Dictionary<string, string> _constants = new();                        // value name -> buffer name
    readonly Dictionary<string, (long[] Pads, bool Asymmetric)> _convPads = new();
    readonly HashSet<string> _aliases = new();                                    // Identity outputs resolved to constants

    OnnxNetwork(ModelProto model, string source) : base("OnnxNetwork")
    {
        _source = source;
        _graph = model.Graph;
        var initializers = _graph.Initializer.ToDictionary(t => t.Name);
        // Exporters share equal constants through Identity nodes (PyTorch does for BatchNorm's initial 1s and 0s): resolve those aliases.
        foreach (var node in _graph.Node.Where(n => n.OpType == "Identity" && n.Input.Count == 1 && initializers.ContainsKey(n.Input[0])))
        {
            var alias = initializers[node.Input[0]].Clone();
            alias.Name = node.Output[0];
            initializers[node.Output[0]] = alias;
            _aliases.Add(node.Output[0]);
        }
        var graphInputs = _graph.Input.Select(i => i.Name).Where(n => !initializers.ContainsKey(n)).ToList();
        if (graphInputs.Count != 1) throw new ImcInputException($"{source}: expected one graph input (an image batch), found {graphInputs.Count}: {string.Join(", ", graphInputs)}");
        if (_graph.Output.Count != 1) throw new ImcInputException($"{source}: expected one graph output (the class scores), found {_graph.Output.Count}");
        _input = graphInputs[0];
        _output = _graph.Output[0].Name;
        var used = new HashSet<string>();
        foreach (var node in _graph.Node)
        {
            if (!Supported.Contains(node.OpType))
                throw Error(node, $"operator not supported; supported: {string.Join(", ", Supported)}");
            switch (node.OpType)
            {
                case "Conv": BuildConv(node, initializers, used); break;
                case "Gemm": BuildGemm(node, initializers, used); break;
                case "MatMul" when initializers.TryGetValue(node.Input[1], out var b) && b.Dims.Count == 2:
                {
                    var w = ToTensor(b);
                    var lin = nn.Linear(w.size(0), w.size(1), hasBias: false);
                    using (no_grad()) lin.weight!.copy_(w.t());
                    Register(node, Name(b.Name), lin);
                    used.Add(b.Name);
                    break;
                }
                case "BatchNormalization": BuildBatchNorm(node, initializers, used); break;
                case "Constant":
                {
                    var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T ?? throw Error(node, "expected a tensor 'value' attribute");
                    AddConstant(node.Output[0], ToTensor(value));
                    break;
                }
            }
        }
        foreach (var (name, t) in initializers)
            if (!used.Contains(name)) AddConstant(name, ToTensor(t));
        RegisterComponents();
    }

    /// <summary>Parses an ONNX file (any opset 11-18 graph of the supported operators).</summary>
    public static OnnxNetwork Load(string path)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: ONNX model not found");
        if (new FileInfo(path).Length == 0) throw new ImcInputException($"{path}: empty file: expected an ONNX model");
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (InvalidProtocolBufferException e) { throw new ImcInputException($"{path}: not an ONNX model ({e.Message})"); }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new ImcInputException($"{path}: no graph of operators: not an ONNX model (a PyTorch checkpoint is imported with --model NAME)");
        ReadExternalData(model.Graph, path);
        var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < 11 || opset > 18) throw new ImcInputException($"{path}: opset {opset}: expected 11 to 18");
        return new OnnxNetwork(model, path);
    }

    /// <summary>
    /// Initializers saved with external data (onnx's save_as_external_data: location, offset and
    /// length in a side file, relative to the model) are read into the tensor; every initializer
    /// must then hold its data: one without would import as zeros.
    /// </summary>
    static void ReadExternalData(GraphProto graph, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "";
        foreach (var t in graph.Initializer)
        {
            long n = t.Dims.Aggregate(1L, (a, b) => a * b);
            if (t.DataLocation == TensorProto.Types.DataLocation.External)
            {
                var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
                if (!entries.TryGetValue("location", out var location) || location.Length == 0)
                    throw new ImcInputException($"{path}: initializer '{t.Name}': external data without a location");
                var file = Path.Combine(dir, location);
                if (!File.Exists(file))
                    throw new ImcInputException($"{path}: initializer '{t.Name}': its external data file {location} is not beside the model ({file})");
                long offset = entries.TryGetValue("offset", out var o) && long.TryParse(o, out var ov) ? ov : 0;
                long size = new FileInfo(file).Length;
                long length = entries.TryGetValue("length", out var l) && long.TryParse(l, out var lv) ? lv : size - offset;
                if (offset < 0 || length < 0 || offset + length > size)
                    throw new ImcInputException($"{path}: initializer '{t.Name}': bytes {offset} to {offset + length} of {location}, which has {size}");
                using var stream = File.OpenRead(file);
                stream.Seek(offset, SeekOrigin.Begin);
                var bytes = new byte[length];
                stream.ReadExactly(bytes);
                t.RawData = ByteString.CopyFrom(bytes);
                t.ExternalData.Clear();
                t.DataLocation = TensorProto.Types.DataLocation.Default;
            }
            bool hasData = t.RawData.Length > 0 || t.FloatData.Count > 0 || t.DoubleData.Count > 0 || t.Int64Data.Count > 0 || t.Int32Data.Count > 0;
            if (n > 0 && !hasData)
                throw new ImcInputException($"{path}: initializer '{t.Name}' holds no data (expected {n} values)");
        }
    }

    /// <summary>The graph without its weights (they live in the state dict), for a checkpoint's model spec.</summary>
    public string GraphWithoutWeights()
    {
        var g = _graph.Clone();
        foreach (var t in g.Initializer) { t.RawData = ByteString.Empty; t.FloatData.Clear(); t.Int64Data.Clear(); t.Int32Data.Clear(); t.DoubleData.Clear(); t.DataLocation = TensorProto.Types.DataLocation.Default; }
        var m = new ModelProto { IrVersion = 7, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return Convert.ToBase64String(m.ToByteArray());
    }

    /// <summary>Rebuilds the network of a checkpoint's spec (weights zero until the state dict is loaded).</summary>
    public static OnnxNetwork FromGraph(string base64, string source) =>
        new(ModelProto.Parser.ParseFrom(Convert.FromBase64String(base64)), source);

    /// <summary>The input shape (C, H, W) and the number of classes, where the graph states them.</summary>
    public (int? C, int? H, int? W, int? Classes) Shapes()
    {
        int? Dim(ValueInfoProto v, int i) => v.Type?.TensorType?.Shape?.Dim.Count > i && v.Type.TensorType.Shape.Dim[i].DimValue > 0 ? (int)v.Type.TensorType.Shape.Dim[i].DimValue : null;
        var input = _graph.Input.First(i => i.Name == _input);
        return (Dim(input, 1), Dim(input, 2), Dim(input, 3), Dim(_graph.Output[0], 1));
    }

    ImcInputException Error(NodeProto node, string what) => new($"{_source}: node '{node.Name}' ({node.OpType}): {what}");

    static string Name(string initializer)
    {
        var n = initializer.EndsWith(".weight", StringComparison.Ordinal) ? initializer[..^7] : initializer;
        return new string(n.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_').ToArray()).TrimStart('_') is { Length: > 0 } s ? s : "layer";
    }

    void Register(NodeProto node, string name, nn.Module<Tensor, Tensor> module)
    {
        while (named_children().Any(c => c.name == name)) name += "_";
        register_module(name, module);
        _layerIndex[node.Output[0]] = _layerList.Count;
        _layerList.Add(module);
    }

    void AddConstant(string valueName, Tensor t)
    {
        var name = "const_" + Name(valueName);
        while (named_buffers().Any(b => b.name == name)) name += "_";
        register_buffer(name, t);
        _constants[valueName] = name;
    }

    static AttributeProto? Attr(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name);
    static long[] Ints(NodeProto n, string name, long[] fallback) => Attr(n, name) is { } a ? a.Ints.ToArray() : fallback;
    static long Int(NodeProto n, string name, long fallback) => Attr(n, name) is { } a ? a.I : fallback;
    static float Float(NodeProto n, string name, float fallback) => Attr(n, name) is { } a ? a.F : fallback;

    void CheckAutoPad(NodeProto node)
    {
        if (Attr(node, "auto_pad") is { } a && a.S.ToStringUtf8() is var mode && mode is not ("NOTSET" or ""))
            throw Error(node, $"auto_pad {mode} not supported; give explicit pads (export with auto_pad NOTSET)");
    }

    void BuildConv(NodeProto node, Dictionary<string, TensorProto> init, HashSet<string> used)
    {
        CheckAutoPad(node);
        if (!init.TryGetValue(node.Input[1], out var wp)) throw Error(node, "the weight must be a constant (an initializer)");
        var w = ToTensor(wp);
        if (w.dim() != 4) throw Error(node, $"only 2-D convolutions are supported (weight of rank {w.dim()})");
        long group = Int(node, "group", 1);
        var k = Ints(node, "kernel_shape", new[] { w.size(2), w.size(3) });
        var s = Ints(node, "strides", new long[] { 1, 1 });
        var d = Ints(node, "dilations", new long[] { 1, 1 });
        var p = Ints(node, "pads", new long[] { 0, 0, 0, 0 });
        bool symmetric = p[0] == p[2] && p[1] == p[3];
        bool hasBias = node.Input.Count > 2 && node.Input[2].Length > 0;
        var conv = new FloatConv2d(w.size(1) * group, w.size(0), (k[0], k[1]), stride: (s[0], s[1]), padding: symmetric ? (p[0], p[1]) : (0, 0),
            dilation: (d[0], d[1]), groups: group, hasBias: hasBias);
        using (no_grad())
        {
            conv.weight!.copy_(w);
            if (hasBias) conv.bias!.copy_(ToTensor(init[node.Input[2]]));
        }
        used.Add(wp.Name);
        if (hasBias) used.Add(node.Input[2]);
        if (!symmetric) _convPads[node.Output[0]] = (new[] { p[1], p[3], p[0], p[2] }, true);
        Register(node, Name(wp.Name), conv);
    }

    void BuildGemm(NodeProto node, Dictionary<string, TensorProto> init, HashSet<string> used)
    {
        if (Int(node, "transA", 0) != 0) throw Error(node, "transA = 1 is not supported");
        if (Float(node, "alpha", 1) != 1 || Float(node, "beta", 1) != 1) throw Error(node, "alpha and beta other than 1 are not supported");
        if (!init.TryGetValue(node.Input[1], out var bp)) throw Error(node, "operand B must be a constant (an initializer)");
        var b = ToTensor(bp);
        var weight = Int(node, "transB", 0) == 1 ? b : b.t();                                      // [N, K]
        bool hasBias = node.Input.Count > 2 && node.Input[2].Length > 0;
        var lin = nn.Linear(weight.size(1), weight.size(0), hasBias: hasBias);
        using (no_grad())
        {
            lin.weight!.copy_(weight);
            if (hasBias) lin.bias!.copy_(ToTensor(init[node.Input[2]]).reshape(-1));
        }
        used.Add(bp.Name);
        if (hasBias) used.Add(node.Input[2]);
        Register(node, Name(bp.Name), lin);
    }

    void BuildBatchNorm(NodeProto node, Dictionary<string, TensorProto> init, HashSet<string> used)
    {
        var names = node.Input.Skip(1).Take(4).ToArray();
        if (names.Length != 4 || names.Any(n => !init.ContainsKey(n))) throw Error(node, "scale, bias, mean and variance must be constants");
        var (scale, bias, mean, var) = (ToTensor(init[names[0]]), ToTensor(init[names[1]]), ToTensor(init[names[2]]), ToTensor(init[names[3]]));
        var bn = nn.BatchNorm2d(scale.size(0), eps: Float(node, "epsilon", 1e-5f));
        using (no_grad())
        {
            bn.weight!.copy_(scale);
            bn.bias!.copy_(bias);
            bn.running_mean!.copy_(mean);
            bn.running_var!.copy_(var);
        }
        foreach (var n in names) used.Add(n);
        Register(node, Name(names[0]), bn);
    }

    /// <summary>An ONNX tensor as a torch tensor: float, double, int32 or int64, raw or typed data.</summary>
    public static Tensor ToTensor(TensorProto t)
    {
        var shape = t.Dims.ToArray();
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var raw = t.RawData.Span;
        Tensor result = (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float => tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray()
                : t.FloatData.Count > 0 ? t.FloatData.ToArray() : new float[n]),
            TensorProto.Types.DataType.Double => tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw).ToArray()
                : t.DoubleData.Count > 0 ? t.DoubleData.ToArray() : new double[n]).to_type(ScalarType.Float32),
            TensorProto.Types.DataType.Int64 => tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray()
                : t.Int64Data.Count > 0 ? t.Int64Data.ToArray() : new long[n]),
            TensorProto.Types.DataType.Int32 => tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(x => (long)x).ToArray()
                : t.Int32Data.Count > 0 ? t.Int32Data.Select(x => (long)x).ToArray() : new long[n]),
            var other => throw new ImcInputException($"initializer '{t.Name}': data type {other} not supported (float, double, int32, int64)"),
        };
        return shape.Length == 0 ? result.reshape(Array.Empty<long>()) : result.reshape(shape);
    }

    nn.Module<Tensor, Tensor> Layer(string output) => _layerList[_layerIndex[output]];

    public override Tensor forward(Tensor x)
    {
        var values = new Dictionary<string, Tensor> { [_input] = x };
        var buffers = named_buffers().ToDictionary(b => b.name, b => b.buffer);
        Tensor V(string name) => values.TryGetValue(name, out var v) ? v
            : _constants.TryGetValue(name, out var b) ? buffers[b]
            : throw new ImcInputException($"{_source}: value '{name}' is used before it is computed");
        long[] LongsOf(string name) => V(name).to_type(ScalarType.Int64).data<long>().ToArray();
        int Axis(NodeProto n, long rank, long fallback = 1) { var a = Int(n, "axis", fallback); return (int)(a < 0 ? a + rank : a); }
        // Each node in a dispose scope of its own, each value freed after its last use: under the
        // caller's scope every activation would otherwise live until the batch ends.
        var lastUse = new Dictionary<string, int>();
        for (int k = 0; k < _graph.Node.Count; k++) foreach (var name in _graph.Node[k].Input) lastUse[name] = k;
        for (int k = 0; k < _graph.Node.Count; k++)
        {
            var node = _graph.Node[k];
            if (node.OpType == "Constant" || _aliases.Contains(node.Output[0])) continue;
            // Identity and Dropout hand on an existing value (the caller's input, a buffer).
            var y = Steps.Scoped(() => Compute(node), node.Input.Where(values.ContainsKey).Select(n => values[n]).Concat(buffers.Values));
            values[node.Output[0]] = y;
            foreach (var name in node.Input.Distinct())
                if (name != _input && name != _output && lastUse[name] == k && values.Remove(name, out var dead)
                    && !values.Values.Any(v => ReferenceEquals(v, dead)))
                    dead.Dispose();
        }
        return V(_output);

        Tensor Compute(NodeProto node)
        {
            var i = node.Input;
            return node.OpType switch
            {
                "Conv" => _convPads.TryGetValue(node.Output[0], out var pad)
                    ? Layer(node.Output[0]).call(nn.functional.pad(V(i[0]), pad.Pads))
                    : Layer(node.Output[0]).call(V(i[0])),
                "Gemm" => Layer(node.Output[0]).call(V(i[0])),
                "MatMul" => _layerIndex.ContainsKey(node.Output[0]) ? Layer(node.Output[0]).call(V(i[0])) : V(i[0]).matmul(V(i[1])),
                "BatchNormalization" => Layer(node.Output[0]).call(V(i[0])),
                "Add" => V(i[0]).add(V(i[1])),
                "Sub" => V(i[0]).sub(V(i[1])),
                "Mul" => V(i[0]).mul(V(i[1])),
                "Div" => V(i[0]).div(V(i[1])),
                "Relu" => nn.functional.relu(V(i[0])),
                "LeakyRelu" => nn.functional.leaky_relu(V(i[0]), Float(node, "alpha", 0.01f)),
                "Sigmoid" => V(i[0]).sigmoid(),
                "Tanh" => V(i[0]).tanh(),
                "HardSwish" => nn.functional.hardswish(V(i[0])),
                "HardSigmoid" => V(i[0]).mul(Float(node, "alpha", 0.2f)).add(Float(node, "beta", 0.5f)).clamp(0, 1),
                "Clip" => Clip(node, V(i[0]), i.Count > 1 && i[1].Length > 0 ? V(i[1]).item<float>() : null, i.Count > 2 && i[2].Length > 0 ? V(i[2]).item<float>() : null),
                "MaxPool" => MaxPool(node, V(i[0])),
                "AveragePool" => AveragePool(node, V(i[0])),
                "GlobalAveragePool" => V(i[0]).mean(new long[] { 2, 3 }, keepdim: true),
                "Flatten" => Flatten(V(i[0]), Axis(node, V(i[0]).dim())),
                "Reshape" => Reshape(V(i[0]), LongsOf(i[1])),
                "Transpose" => V(i[0]).permute(Ints(node, "perm", Enumerable.Range(0, (int)V(i[0]).dim()).Reverse().Select(a => (long)a).ToArray())),
                "Concat" => cat(i.Select(V).ToArray(), Axis(node, V(i[0]).dim())),
                "Squeeze" => Squeeze(node, V(i[0]), i.Count > 1 ? LongsOf(i[1]) : Ints(node, "axes", Array.Empty<long>())),
                "Unsqueeze" => Unsqueeze(V(i[0]), i.Count > 1 ? LongsOf(i[1]) : Ints(node, "axes", Array.Empty<long>())),
                "Identity" or "Dropout" => V(i[0]),
                "Softmax" => V(i[0]).softmax(Axis(node, V(i[0]).dim(), -1)),
                "LogSoftmax" => V(i[0]).log_softmax(Axis(node, V(i[0]).dim(), -1)),
                "Pad" => Pad(node, V(i[0]), LongsOf(i[1]), i.Count > 2 && i[2].Length > 0 ? V(i[2]).item<float>() : 0f),
                _ => throw Error(node, "operator not supported"),
            };
        }
    }

    Tensor Clip(NodeProto node, Tensor x, float? min, float? max)
    {
        min ??= Attr(node, "min") is { } a ? a.F : null;
        max ??= Attr(node, "max") is { } b ? b.F : null;
        return x.clamp(min.HasValue ? (Scalar)min.Value : null, max.HasValue ? (Scalar)max.Value : null);
    }

    Tensor MaxPool(NodeProto node, Tensor x)
    {
        CheckAutoPad(node);
        var k = Ints(node, "kernel_shape", Array.Empty<long>());
        var p = Ints(node, "pads", new long[] { 0, 0, 0, 0 });
        if (p[0] != p[2] || p[1] != p[3]) x = nn.functional.pad(x, new[] { p[1], p[3], p[0], p[2] }, value: double.NegativeInfinity);
        return nn.functional.max_pool2d(x, k, Ints(node, "strides", k), p[0] == p[2] && p[1] == p[3] ? new[] { p[0], p[1] } : new long[] { 0, 0 },
            Ints(node, "dilations", new long[] { 1, 1 }), ceil_mode: Int(node, "ceil_mode", 0) == 1);
    }

    Tensor AveragePool(NodeProto node, Tensor x)
    {
        CheckAutoPad(node);
        var k = Ints(node, "kernel_shape", Array.Empty<long>());
        var p = Ints(node, "pads", new long[] { 0, 0, 0, 0 });
        if (p[0] != p[2] || p[1] != p[3]) throw Error(node, "asymmetric pads are not supported for AveragePool");
        return nn.functional.avg_pool2d(x, k, Ints(node, "strides", k), new[] { p[0], p[1] }, ceil_mode: Int(node, "ceil_mode", 0) == 1,
            count_include_pad: Int(node, "count_include_pad", 0) == 1);
    }

    static Tensor Flatten(Tensor x, int axis)
    {
        long outer = x.Sizes().Take(axis).Aggregate(1L, (a, b) => a * b);
        return x.reshape(outer, -1);
    }

    /// <summary>
    /// ONNX Reshape (0 keeps the input's size, -1 is inferred). A graph exported with a fixed
    /// batch (shape [1, 400] after a 16x5x5 feature map) has its leading size taken as the batch:
    /// when the fixed shape holds one export batch's elements and the input holds a whole number of
    /// such batches, the leading size becomes the input's batch, so any batch size runs.
    /// </summary>
    static Tensor Reshape(Tensor x, long[] shape)
    {
        var s = shape.Select((d, j) => d == 0 ? x.Sizes()[j] : d).ToArray();
        if (s.Length > 0 && s.All(d => d > 0) && x.dim() > 0 && x.size(0) != s[0])
        {
            long perSample = s.Skip(1).Aggregate(1L, (a, d) => a * d);        // elements per sample of the fixed shape
            if (s[0] * perSample != x.numel() && x.size(0) * perSample == x.numel()) s[0] = x.size(0);
        }
        return x.reshape(s);
    }

    Tensor Squeeze(NodeProto node, Tensor x, long[] axes)
    {
        if (axes.Length == 0) return x.squeeze();
        foreach (var a in axes.Select(a => a < 0 ? a + x.dim() : a).OrderByDescending(a => a)) x = x.squeeze(a);
        return x;
    }

    static Tensor Unsqueeze(Tensor x, long[] axes)
    {
        long rank = x.dim() + axes.Length;
        foreach (var a in axes.Select(a => a < 0 ? a + rank : a).OrderBy(a => a)) x = x.unsqueeze(a);
        return x;
    }

    Tensor Pad(NodeProto node, Tensor x, long[] pads, float value)
    {
        var mode = Attr(node, "mode")?.S.ToStringUtf8() ?? "constant";
        if (mode != "constant") throw Error(node, $"pad mode {mode} not supported (constant only)");
        int rank = (int)x.dim();
        // ONNX: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; torch: last dimension first, (begin, end) pairs.
        var torchPads = new List<long>();
        for (int d = rank - 1; d >= 0; d--) { torchPads.Add(pads[d]); torchPads.Add(pads[d + rank]); }
        return nn.functional.pad(x, torchPads.ToArray(), value: value);
    }
}
