using ImcSharp.Config;
using Onnx;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// One ONNX operator (<c>op_type</c>) an imported graph may hold: what the node registers at import
/// (a weight layer, a constant) and what it computes at run time. A new operator is one class with
/// a parameterless constructor: the registry (<see cref="OnnxOperators"/>) finds it by its name.
/// </summary>
public interface IOnnxOperator
{
    /// <summary>The ONNX op_type it implements ("Conv", "Relu", ...).</summary>
    string OpType { get; }

    /// <summary>
    /// At import: registers the node's weight layer or constant on the network (default: nothing; no values yet).
    /// </summary>
    void Import(OnnxImport import, OnnxNode node) { }

    /// <summary>At run time: the node's output from its inputs (<see cref="OnnxNode.Value"/>).</summary>
    Tensor Compute(OnnxNode node);

    /// <summary>At run time: every output of the node, in order (default: the one output).</summary>
    Tensor[] ComputeOutputs(OnnxNode node) => new[] { Compute(node) };
}

/// <summary>
/// The ONNX operators, registered by name (see <see cref="Registry{T}"/>); matched as ONNX spells them.
/// </summary>
public static class OnnxOperators
{
    public static Registry<IOnnxOperator> All { get; } = new("ONNX operator", o => o.OpType);

    /// <summary>
    /// The operator of <paramref name="opType"/>, exactly as spelled (ONNX names are case-sensitive).
    /// </summary>
    public static bool TryGet(string opType, out IOnnxOperator op) => All.TryGet(opType, out op) && op.OpType == opType;
}

/// <summary>
/// A node at import: its network's initializers and registration (see <see cref="IOnnxOperator.Import"/>).
/// </summary>
public sealed class OnnxImport
{
    readonly OnnxNetwork _network;
    internal OnnxImport(OnnxNetwork network, Dictionary<string, TensorProto> initializers) =>
        (_network, Initializers) = (network, initializers);

    /// <summary>The graph's constants by name (Identity aliases of constants resolved).</summary>
    public Dictionary<string, TensorProto> Initializers { get; }
    /// <summary>Initializers a node made into module parameters (not buffers).</summary>
    public HashSet<string> Used { get; } = new();

    /// <summary>Registers the node's weight layer under a name made from <paramref name="initializer"/>.</summary>
    public void Register(OnnxNode node, string initializer, nn.Module<Tensor, Tensor> module) =>
        _network.Register(node.Proto, initializer, module);
    /// <summary>Registers a constant the graph uses by <paramref name="valueName"/>.</summary>
    public void AddConstant(string valueName, Tensor t) => _network.AddConstant(valueName, t);
    /// <summary>
    /// Pads a convolution applies before its layer (ONNX's asymmetric pads), as torch's pad takes them.
    /// </summary>
    public void PadBefore(OnnxNode node, long[] pads) => _network.ConvPads[node.Proto.Output[0]] = pads;
    /// <summary>The constant <paramref name="name"/> as a tensor, or null when it is not a constant.</summary>
    public Tensor? Constant(string name) => Initializers.TryGetValue(name, out var t) ? OnnxTensors.ToTensor(t) : null;
}

/// <summary>A node at run time: its inputs' values, its attributes, its layer and its errors.</summary>
public sealed class OnnxNode
{
    readonly OnnxNetwork _network;
    readonly Func<string, Tensor> _value;
    internal OnnxNode(OnnxNetwork network, NodeProto proto, Func<string, Tensor> value) =>
        (_network, Proto, _value) = (network, proto, value);

    public NodeProto Proto { get; }
    /// <summary>The node's name (its output's when unnamed), without the exporter's leading '/': a digital
    /// operation's name in the cost model.</summary>
    public string OpName => (Proto.Name.Length > 0 ? Proto.Name : Proto.Output[0]).Trim('/');
    /// <summary>Input <paramref name="i"/>'s value.</summary>
    public Tensor Value(int i) => _value(Proto.Input[i]);
    /// <summary>Whether optional input <paramref name="i"/> is given.</summary>
    public bool Has(int i) => Proto.Input.Count > i && Proto.Input[i].Length > 0;
    public int Inputs => Proto.Input.Count;
    /// <summary>Input <paramref name="i"/>'s values as integers (shapes, axes, pads).</summary>
    public long[] Longs(int i) => Value(i).to_type(ScalarType.Int64).data<long>().ToArray();
    /// <summary>The weight layer the node registered at import.</summary>
    public nn.Module<Tensor, Tensor>? Layer => _network.LayerOf(Proto.Output[0]);
    /// <summary>The pads to apply before the node's layer, if any (see <see cref="OnnxImport.PadBefore"/>).</summary>
    public long[]? PadsBefore => _network.ConvPads.TryGetValue(Proto.Output[0], out var p) ? p : null;

    public AttributeProto? Attr(string name) => Proto.Attribute.FirstOrDefault(a => a.Name == name);
    public long[] Ints(string name, long[] fallback) => Attr(name) is { } a ? a.Ints.ToArray() : fallback;
    public long Int(string name, long fallback) => Attr(name) is { } a ? a.I : fallback;
    public float Float(string name, float fallback) => Attr(name) is { } a ? a.F : fallback;
    /// <summary>The "axis" attribute as a non-negative axis of a tensor of rank <paramref name="rank"/>.</summary>
    public int Axis(long rank, long fallback = 1) { var a = Int("axis", fallback); return (int)(a < 0 ? a + rank : a); }
    public ImcInputException Error(string what) => _network.Error(Proto, what);

    /// <summary>Refuses auto_pad other than NOTSET: explicit pads only.</summary>
    public void CheckAutoPad()
    {
        if (Attr("auto_pad") is { } a && a.S.ToStringUtf8() is var mode && mode is not ("NOTSET" or ""))
            throw Error($"auto_pad {mode} not supported; give explicit pads (export with auto_pad NOTSET)");
    }
}
