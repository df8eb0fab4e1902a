using ImcSharp.Config;
using ImcSharp.Crossbar;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>A fully connected layer executed on IMC cores: y = x W^T + b.</summary>
public sealed class AnalogLinear : AnalogLayer
{
    /// <summary>
    /// A linear layer named <paramref name="name"/> over W [N, K] and b [N], on <paramref name="hardware"/>.
    /// </summary>
    public AnalogLinear(string name, Parameter weight, Parameter? bias, LayerHardware hardware)
        : base(name, weight, bias, hardware) { }

    /// <inheritdoc/>
    public override Tensor WeightMatrix() => weight;
    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> ToDigital() => nn.Linear(weight, bias);
    /// <inheritdoc/>
    protected override Tensor FloatForward(Tensor x) => nn.functional.linear(x, weight, bias);
    /// <inheritdoc/>
    protected override IInputVectors Vectors => MatrixRows.Instance;
}
