using ImcSharp.Config;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// A network ImcSharp builds by name (<c>--model</c>, a spec's <c>model</c>): its name, the other
/// spellings it accepts, and how it is built for an input shape and class count. A new one is one
/// class with a parameterless constructor, found by the registry (<see cref="ModelKinds"/>).
/// </summary>
public interface IModelKind
{
    string Name { get; }
    /// <summary>Other accepted spellings ("lenet-5"), matched without regard to case.</summary>
    IReadOnlyList<string> Aliases => Array.Empty<string>();
    /// <summary>
    /// A freshly initialised network for <paramref name="spec"/>; weights from torch's global generator.
    /// </summary>
    nn.Module<Tensor, Tensor> Build(ModelSpec spec);
}

/// <summary>The networks built by name, registered like the other plug-ins (see <see cref="Registry{T}"/>).</summary>
public static class ModelKinds
{
    public static Registry<IModelKind> All { get; } = new("model", m => m.Name);

    /// <summary>The kind <paramref name="name"/> names (or one of its aliases), or null.</summary>
    public static IModelKind? Find(string name)
    {
        if (All.TryGet(name, out var kind)) return kind;
        foreach (var n in All.Names)
            if (All.TryGet(n, out var k) && k.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase)) return k;
        return null;
    }
}

/// <summary>A multilayer perceptron: the flattened image, hidden layers of 256 and 128 units.</summary>
public sealed class MlpKind : IModelKind
{
    public string Name => "mlp";
    public nn.Module<Tensor, Tensor> Build(ModelSpec s) =>
        new Mlp(s.InChannels * s.Height * s.Width, new[] { 256, 128 }, s.Classes);
}

public sealed class LeNet5Kind : IModelKind
{
    public string Name => "lenet5";
    public IReadOnlyList<string> Aliases => new[] { "lenet-5", "lenet" };
    public nn.Module<Tensor, Tensor> Build(ModelSpec s) => new LeNet5(s.InChannels, s.Height, s.Width, s.Classes);
}

public sealed class Vgg8Kind : IModelKind
{
    public string Name => "vgg8";
    public IReadOnlyList<string> Aliases => new[] { "vgg-8" };
    public nn.Module<Tensor, Tensor> Build(ModelSpec s) => new Vgg8(s.InChannels, s.Classes);
}

public sealed class ResNet20Kind : IModelKind
{
    public string Name => "resnet20";
    public IReadOnlyList<string> Aliases => new[] { "resnet-20" };
    public nn.Module<Tensor, Tensor> Build(ModelSpec s) => new ResNet20(s.InChannels, s.Classes);
}

/// <summary>An LSTM of 128 units reading the image row by row (<see cref="RowRecurrent"/>).</summary>
public sealed class LstmKind : IModelKind
{
    public string Name => "lstm";
    public nn.Module<Tensor, Tensor> Build(ModelSpec s) =>
        new RowRecurrent(new LstmLayer(s.InChannels * s.Width, 128), 128, s.Classes);
}

/// <summary>A GRU of 128 units reading the image row by row (<see cref="RowRecurrent"/>).</summary>
public sealed class GruKind : IModelKind
{
    public string Name => "gru";
    public nn.Module<Tensor, Tensor> Build(ModelSpec s) =>
        new RowRecurrent(new GruLayer(s.InChannels * s.Width, 128), 128, s.Classes);
}

/// <summary>
/// A small vision transformer (<see cref="VisionTransformer"/>): 7x7 patches (4x4 where 7 does not divide the image),
/// 64 features, 2 encoder blocks of 4 heads and an MLP of 128.
/// </summary>
public sealed class VitKind : IModelKind
{
    public string Name => "vit";
    public nn.Module<Tensor, Tensor> Build(ModelSpec s)
    {
        int patch = new[] { 7, 4, 8, 2 }.FirstOrDefault(p => s.Height % p == 0 && s.Width % p == 0, 1);
        return new VisionTransformer(s.InChannels, s.Height, s.Width, patch, 64, 2, 4, 128, s.Classes);
    }
}
