using ImcSharp.Config;
using ImcSharp.Crossbar;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>A fully connected layer executed on IMC cores: y = x W^T + b.</summary>
public sealed class AnalogLinear : AnalogLayer
{
    public AnalogLinear(string name, Parameter weight, Parameter? bias, LayerHardware hardware)
        : base(name, weight, bias, hardware) { }

    public override Tensor WeightMatrix() => weight;
    public override nn.Module<Tensor, Tensor> ToDigital() => nn.Linear(weight, bias);
    protected override Tensor FloatForward(Tensor x) => nn.functional.linear(x, weight, bias);
    protected override IInputVectors Vectors => MatrixRows.Instance;
}
