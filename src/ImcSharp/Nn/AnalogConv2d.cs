using ImcSharp.Config;
using ImcSharp.Crossbar;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// A 2-D convolution executed on IMC cores: every output pixel's receptive field
/// (Cin*kh*kw values, channel-major like the weight) is one input vector of the crossbar. The
/// hardware path runs one convolution per tile on the input images (<see cref="ConvGeometry"/>)
/// rather than unfolding them; calibration and the quantized-digital reference unfold.
/// </summary>
public sealed class AnalogConv2d : AnalogLayer
{
    readonly ConvGeometry _conv;
    readonly long _groups;

    /// <param name="groups">Grouped convolution (depthwise: groups = channels): each group's filters see only its
    /// channels, so the crossbar holds a block-diagonal weight matrix, zero cells outside the groups' blocks.</param>
    public AnalogConv2d(string name, Parameter weight, Parameter? bias, long[] stride, long[] padding, long[] dilation,
        LayerHardware hardware, long groups = 1)
        : base(name, weight, bias, hardware)
    {
        _conv = new ConvGeometry(weight.size(1) * groups, weight.size(2), weight.size(3), stride, padding, dilation);
        _groups = groups;
    }


    /// <summary>
    /// [O, C kh kw] over the unfolded input (channel-major): the weights, or for groups their block diagonal.
    /// </summary>
    public override Tensor WeightMatrix()
    {
        var w = weight.view(weight.size(0), -1);
        if (_groups == 1) return w;
        return torch.block_diag(w.chunk(_groups, 0));
    }

    /// <inheritdoc/>
    public override nn.Module<Tensor, Tensor> ToDigital() =>
        new FloatConv2d(weight, bias, _conv.Stride, _conv.Padding, _conv.Dilation, _groups);

    /// <inheritdoc/>
    protected override Tensor FloatForward(Tensor x) =>
        Convolution2d.Apply(x, weight, bias, _conv.Stride, _conv.Padding, _conv.Dilation, _groups);

    /// <inheritdoc/>
    protected override IInputVectors Vectors => _conv;
}
