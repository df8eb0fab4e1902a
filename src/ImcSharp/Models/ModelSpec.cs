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

    /// <summary>The ONNX graph of an imported network, its weights left out (they are in the checkpoint's state).</summary>
    public string? Onnx { get; init; }

    public static readonly string[] Names = { "mlp", "lenet5", "vgg8", "resnet20" };

    public static string Canonical(string name) => name.ToLowerInvariant() switch
    {
        "mlp" => "mlp",
        "lenet5" or "lenet-5" or "lenet" => "lenet5",
        "vgg8" or "vgg-8" => "vgg8",
        "resnet20" or "resnet-20" => "resnet20",
        OnnxName => OnnxName,
        _ => throw new ImcInputException("model", name, $"expected one of {string.Join(", ", Names)}"),
    };

    /// <summary>Builds a freshly initialised model; weights come from torch's global generator.</summary>
    public nn.Module<Tensor, Tensor> Build() => Name == OnnxName
        ? OnnxNetwork.FromGraph(Onnx ?? throw new ImcInputException("an imported ONNX model spec without its graph"), "checkpoint graph")
        : Canonical(Name) switch
    {
        "mlp" => new Mlp(InChannels * Height * Width, new[] { 256, 128 }, Classes),
        "lenet5" => new LeNet5(InChannels, Height, Width, Classes),
        "vgg8" => new Vgg8(InChannels, Classes),
        "resnet20" => new ResNet20(InChannels, Classes),
        _ => throw new InvalidOperationException(),
    };
}
