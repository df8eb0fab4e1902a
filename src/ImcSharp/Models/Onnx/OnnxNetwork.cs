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
/// dropped: "blocks.0.conv1.weight" is layer "blocks_0_conv1"). Each operator is a plug-in
/// (<see cref="OnnxOperators"/>, one class each in <c>Models/Onnx/</c>); an operator or attribute
/// outside them is one error naming the node, the operator and what is supported.
/// </summary>
public sealed class OnnxNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>The operators an imported graph may hold (<see cref="OnnxOperators.All"/>).</summary>
    public static IReadOnlyList<string> Supported => OnnxOperators.All.Names;

    readonly GraphProto _graph;
    readonly string _source;
    readonly string _input, _output;
    // Weight layers in a list (so a conversion to analog layers can replace them in place), found by node output.
    readonly List<nn.Module<Tensor, Tensor>> _layerList = new();
    readonly Dictionary<string, int> _layerIndex = new();
    readonly Dictionary<string, string> _constants = new();                        // value name -> buffer name
    /// <summary>Pads applied before a node's layer, by node output (see <see cref="OnnxImport.PadBefore"/>).</summary>
    internal Dictionary<string, long[]> ConvPads { get; } = new();
    // Identity outputs resolved to constants
    readonly HashSet<string> _aliases = new();

    OnnxNetwork(ModelProto model, string source) : base("OnnxNetwork")
    {
        _source = source;
        _graph = model.Graph;
        var initializers = _graph.Initializer.ToDictionary(t => t.Name);
        // Exporters share equal constants through Identity nodes (PyTorch does for BatchNorm's initial 1s and 0s):
        // resolve those aliases.
        foreach (var node in _graph.Node.Where(n => n.OpType == "Identity" && n.Input.Count == 1
            && initializers.ContainsKey(n.Input[0])))
        {
            var alias = initializers[node.Input[0]].Clone();
            alias.Name = node.Output[0];
            initializers[node.Output[0]] = alias;
            _aliases.Add(node.Output[0]);
        }
        var graphInputs = _graph.Input.Select(i => i.Name).Where(n => !initializers.ContainsKey(n)).ToList();
        if (graphInputs.Count != 1) throw new ImcInputException(
            $"{source}: expected one graph input (an image batch), " +
            $"found {graphInputs.Count}: {string.Join(", ", graphInputs)}");
        if (_graph.Output.Count != 1) throw new ImcInputException(
            $"{source}: expected one graph output (the class scores), found {_graph.Output.Count}");
        _input = graphInputs[0];
        _output = _graph.Output[0].Name;
        var import = new OnnxImport(this, initializers);
        foreach (var node in _graph.Node)
        {
            if (!OnnxOperators.TryGet(node.OpType, out var op))
                throw Error(node, $"operator not supported; supported: {string.Join(", ", Supported)}");
            op.Import(import,
                new OnnxNode(this, node, name => throw Error(node, $"value '{name}' is not known at import")));
        }
        foreach (var (name, t) in initializers)
            if (!import.Used.Contains(name)) AddConstant(name, OnnxTensors.ToTensor(t));
        RegisterComponents();
    }

    /// <summary>Parses an ONNX file (any opset 11-20 graph of the supported operators).</summary>
    public static OnnxNetwork Load(string path)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: ONNX model not found");
        if (new FileInfo(path).Length == 0) throw new ImcInputException($"{path}: empty file: expected an ONNX model");
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (InvalidProtocolBufferException e) { throw new ImcInputException(
            $"{path}: not an ONNX model ({e.Message})"); }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new ImcInputException(
                $"{path}: no graph of operators: not an ONNX model (a PyTorch checkpoint is imported with --model " +
                "NAME)");
        OnnxTensors.ReadExternalData(model.Graph, path);
        var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0)
            .Max();
        if (opset < 11 || opset > 20) throw new ImcInputException($"{path}: opset {opset}: expected 11 to 20");
        return new OnnxNetwork(model, path);
    }

    /// <summary>The graph without its weights (they live in the state dict), for a checkpoint's model spec.</summary>
    public string GraphWithoutWeights()
    {
        var g = _graph.Clone();
        foreach (var t in g.Initializer) { t.RawData =
            ByteString.Empty; t.FloatData.Clear(); t.Int64Data.Clear(); t.Int32Data.Clear(); t.DoubleData.Clear(
            ); t.DataLocation = TensorProto.Types.DataLocation.Default; }
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
        int? Dim(ValueInfoProto v, int i) =>
            v.Type?.TensorType?.Shape?.Dim.Count > i && v.Type.TensorType.Shape.Dim[i].DimValue > 0
            ? (int)v.Type.TensorType.Shape.Dim[i].DimValue : null;
        var input = _graph.Input.First(i => i.Name == _input);
        return (Dim(input, 1), Dim(input, 2), Dim(input, 3), Dim(_graph.Output[0], 1));
    }

    internal ImcInputException Error(NodeProto node, string what) =>
        new($"{_source}: node '{node.Name}' ({node.OpType}): {what}");

    static string Name(string initializer)
    {
        var n = initializer.EndsWith(".weight", StringComparison.Ordinal) ? initializer[..^7] : initializer;
        return new string(n.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_').ToArray())
            .TrimStart('_') is { Length: > 0 } s ? s : "layer";
    }

    /// <summary>Registers a node's weight layer, named after its initializer.</summary>
    internal void Register(NodeProto node, string initializer, nn.Module<Tensor, Tensor> module)
    {
        var name = Name(initializer);
        while (named_children().Any(c => c.name == name)) name += "_";
        register_module(name, module);
        _layerIndex[node.Output[0]] = _layerList.Count;
        _layerList.Add(module);
    }

    internal void AddConstant(string valueName, Tensor t)
    {
        var name = "const_" + Name(valueName);
        while (named_buffers().Any(b => b.name == name)) name += "_";
        register_buffer(name, t);
        _constants[valueName] = name;
    }

    /// <summary>The weight layer a node registered, by its output (null: none).</summary>
    internal nn.Module<Tensor, Tensor>? LayerOf(string output) =>
        _layerIndex.TryGetValue(output, out var i) ? _layerList[i] : null;

    public override Tensor forward(Tensor x)
    {
        var values = new Dictionary<string, Tensor> { [_input] = x };
        var buffers = named_buffers().ToDictionary(b => b.name, b => b.buffer);
        Tensor V(string name) => values.TryGetValue(name, out var v) ? v
            : _constants.TryGetValue(name, out var b) ? buffers[b]
            : throw new ImcInputException($"{_source}: value '{name}' is used before it is computed");
        // Each node in a dispose scope of its own, each value freed after its last use: under the
        // caller's scope every activation would otherwise live until the batch ends.
        var lastUse = new Dictionary<string, int>();
        for (int k = 0; k < _graph.Node.Count; k++) foreach (var name in _graph.Node[k].Input) lastUse[name] = k;
        for (int k = 0; k < _graph.Node.Count; k++)
        {
            var node = _graph.Node[k];
            if (node.OpType == "Constant" || _aliases.Contains(node.Output[0])) continue;
            // Identity and Dropout hand on an existing value (the caller's input, a buffer).
            var op = OnnxOperators.All.Get(node.OpType, "operator");
            var ys = Steps.Scoped(() => op.ComputeOutputs(new OnnxNode(this, node, V)),
                node.Input.Where(values.ContainsKey).Select(n => values[n]).Concat(buffers.Values));
            for (int o = 0; o < Math.Min(ys.Length, node.Output.Count); o++)
                if (node.Output[o].Length > 0) values[node.Output[o]] = ys[o];
            foreach (var name in node.Input.Distinct())
                if (name != _input && name != _output && lastUse[name] == k && values.Remove(name, out var dead)
                    && !values.Values.Any(v => ReferenceEquals(v, dead)))
                    dead.Dispose();
        }
        return V(_output);
    }
}
