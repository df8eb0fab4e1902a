using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// What a model is built for: its name and the shape of its input and output. An imported ONNX
/// network (name "onnx") carries its graph without weights (<see cref="Onnx"/>, base64 ONNX).
/// </summary>
public sealed record ModelSpec(string Name, int InChannels, int Height, int Width, int Classes)
{
    public const string OnnxName = "onnx";

    /// <summary>
    /// The ONNX graph of an imported network, its weights left out (they are in the checkpoint's state).
    /// </summary>
    public string? Onnx { get; init; }

    /// <summary>The networks built by name (<see cref="ModelKinds"/>), in the registry's order.</summary>
    public static IReadOnlyList<string> Names => ModelKinds.All.Names;

    /// <summary>
    /// The registered name <paramref name="name"/> spells (an alias, any case), or "onnx"; else one error listing the
    /// names.
    /// </summary>
    public static string Canonical(string name) =>
        name.Equals(OnnxName, StringComparison.OrdinalIgnoreCase) ? OnnxName
        : ModelKinds.Find(name)?.Name
            ?? throw new ImcInputException("model", name, $"expected one of {string.Join(", ", Names)}");

    /// <summary>Builds a freshly initialised model; weights come from torch's global generator.</summary>
    public nn.Module<Tensor, Tensor> Build() => Name == OnnxName
        ? OnnxNetwork.FromGraph(Onnx ?? throw new ImcInputException("an imported ONNX model spec without its graph"),
            "checkpoint graph")
        : ModelKinds.Find(Canonical(Name))!.Build(this);
}
