using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// A float convolution layer: torch's Conv2d (the same parameters, weight [N, C / groups, kh, kw]
/// and bias [N], the same initialization and state-dict names), computed by
/// <see cref="Convolution2d.Apply"/>, so that it is right where libtorch's convolution kernels are
/// not (and as fast as the GEMM form there). The built-in models and imported networks use it;
/// <see cref="AnalogConversion"/> converts it like torch's Conv2d.
/// </summary>
public sealed class FloatConv2d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // torch's parameter names: the state dict's keys
    /// <summary>The filters [out channels, in channels / groups, kh, kw].</summary>
    public readonly Parameter weight;
    /// <summary>The bias [out channels]; null: none.</summary>
    public readonly Parameter? bias;
#pragma warning restore IDE1006
    /// <summary>Stride (pixels), height then width.</summary>
    public long[] Stride { get; }
    /// <summary>Zero padding (pixels), height then width.</summary>
    public long[] Padding { get; }
    /// <summary>Dilation (pixels), height then width.</summary>
    public long[] Dilation { get; }
    /// <summary>Groups: each group's filters see only its channels (depthwise: groups = channels).</summary>
    public long Groups { get; }

    /// <summary>
    /// Input and output channels, kernel kh x kw; stride, padding and dilation per axis (height, width).
    /// Parameters drawn as torch's Conv2d draws them (Kaiming-uniform weight, uniform bias).
    /// </summary>
    public FloatConv2d(long inChannels, long outChannels, (long H, long W) kernel, (long H, long W)? stride = null,
        (long H, long W)? padding = null, (long H, long W)? dilation = null, long groups = 1, bool hasBias = true)
            : base("Conv2d")
    {
        using var drawn =
            nn.Conv2d(inChannels, outChannels, kernel, stride ?? (1, 1), padding ?? (0, 0), dilation: dilation
            ?? (1, 1), groups: groups, bias: hasBias);
        weight = new Parameter(drawn.weight!.detach().clone());
        bias = hasBias ? new Parameter(drawn.bias!.detach().clone()) : null;
        Stride = new[] { (stride ?? (1, 1)).H, (stride ?? (1, 1)).W };
        Padding = new[] { (padding ?? (0, 0)).H, (padding ?? (0, 0)).W };
        Dilation = new[] { (dilation ?? (1, 1)).H, (dilation ?? (1, 1)).W };
        Groups = groups;
        RegisterComponents();
    }

    /// <summary>
    /// A convolution over existing parameters (an analog layer's way back to digital: the same tensors, nothing drawn).
    /// </summary>
    public FloatConv2d(Parameter weight, Parameter? bias, long[] stride, long[] padding, long[] dilation, long groups)
        : base("Conv2d")
    {
        this.weight = weight;
        this.bias = bias;
        (Stride, Padding, Dilation, Groups) = (stride, padding, dilation, groups);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x) => Convolution2d.Apply(x, weight, bias, Stride, Padding, Dilation, Groups);
}
