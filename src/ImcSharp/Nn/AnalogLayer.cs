using ImcSharp.Config;
using ImcSharp.Crossbar;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>How an analog layer computes its matmul.</summary>
public enum Execution
{
    /// <summary>Plain float matmul (the digital baseline).</summary>
    Float,
    /// <summary>Quantized weights and inputs, exact integer matmul: what an ideal core must reproduce.</summary>
    QuantizedDigital,
    /// <summary>Through the programmed chip: cells, array physics, ADCs, shift-and-add.</summary>
    Analog,
}

/// <summary>
/// State shared by <see cref="AnalogLinear"/> and <see cref="AnalogConv2d"/>: the float weight and
/// bias (same parameter names as torch's layers, so float checkpoints load), the hardware, the
/// input quantization range, and the chip the weights are programmed on.
/// Forward in training mode is straight-through: y = y_float + (y_hw - y_float).detach(), so
/// gradients reach the float weights as if the quantizers and ADCs were identity.
/// </summary>
public abstract class AnalogLayer : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    public Parameter? bias;
    public LayerHardware Hardware { get; set; }
    public string LayerName { get; }
    public Execution Execution { get; set; } = Execution.Analog;
    /// <summary>Input range (max |x|) for input quantization; set by calibration or the first batch.</summary>
    public double? InputRange { get; set; }
    /// <summary>Whether inputs can be negative (signed quantization); set with <see cref="InputRange"/>.</summary>
    public bool InputSigned { get; set; }
    /// <summary>Called with the pre-ADC partial sums [T, cycles*B, N*S] (signal units) of each chunk.</summary>
    public Action<AnalogLayer, Tensor>? PartialSumProbe { get; set; }

    ProgrammedLayer? _chip;
    ulong _chipSeed;

    protected AnalogLayer(string name, Parameter weight, Parameter? bias, LayerHardware hardware) : base(name)
    {
        LayerName = name;
        this.weight = weight;
        this.bias = bias;
        Hardware = hardware;
        RegisterComponents();
    }

    public ProgrammedLayer? Chip => _chip;

    /// <summary>Weight as the [N, K] matrix the crossbar holds.</summary>
    protected abstract Tensor WeightMatrix();

    /// <summary>
    /// Programs the current weights onto a chip; the chip's random draws come from
    /// <paramref name="chipSeed"/> (combine a chip index with a layer index for distinct layers).
    /// </summary>
    public void Program(ulong chipSeed)
    {
        using var scope = NewDisposeScope();
        using var g = no_grad();
        var (wq, scale) = WeightSlicing.Quantize(WeightMatrix().detach(), Hardware.Core.WeightBits);
        _chip?.Dispose();
        _chip = new ProgrammedLayer(wq, scale, Hardware, chipSeed);
        _chipSeed = chipSeed;
    }

    /// <summary>Sets the input range from a batch of inputs [M, K]: max |x|, signed if any x &lt; 0.</summary>
    public void CalibrateInput(Tensor x2d)
    {
        InputRange = Math.Max(1e-12, x2d.abs().max().item<float>());
        InputSigned = x2d.min().item<float>() < 0;
    }

    public double InputScale => InputRange!.Value / InputEncoding.QuantMax(Hardware.Core.InputBits, InputSigned);

    /// <summary>x2d [M, K] times W^T through the configured execution, without bias: [M, N].</summary>
    protected Tensor MatmulNoBias(Tensor x2d)
    {
        if (Execution == Execution.Float) return x2d.matmul(WeightMatrix().t());
        using var g = no_grad();
        if (InputRange is null) CalibrateInput(x2d);
        var xq = InputEncoding.Quantize(x2d.detach(), InputScale, Hardware.Core.InputBits, InputSigned);
        if (Execution == Execution.QuantizedDigital)
        {
            var (wq, ws) = WeightSlicing.Quantize(WeightMatrix().detach(), Hardware.Core.WeightBits);
            // float64 keeps every integer product and sum exact.
            return xq.to_type(ScalarType.Float64).matmul(wq.to_type(ScalarType.Float64).t()).mul_(ws * InputScale).to_type(ScalarType.Float32);
        }
        if (_chip is null) Program(_chipSeed);
        var probe = PartialSumProbe is { } p ? (Action<Tensor>)(t => p(this, t)) : null;
        // Rescale in float64 like the quantized-digital path, so an exact core gives identical floats.
        return AnalogMvm.Forward(_chip!, xq, InputSigned, probe).to_type(ScalarType.Float64).mul_(_chip!.WeightScale * InputScale).to_type(ScalarType.Float32);
    }

    /// <summary>Straight-through combination of the float and hardware results.</summary>
    protected Tensor StraightThrough(Tensor x2d)
    {
        if (Execution == Execution.Float) return AddBias(x2d.matmul(WeightMatrix().t()));
        var hw = AddBias(MatmulNoBias(x2d));
        if (!is_grad_enabled() || !weight.requires_grad) return hw;
        var fl = AddBias(x2d.matmul(WeightMatrix().t()));
        return fl + (hw - fl).detach();
    }

    Tensor AddBias(Tensor y) => bias is null ? y : y + bias;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _chip?.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A fully connected layer executed on IMC cores: y = x W^T + b.</summary>
public sealed class AnalogLinear : AnalogLayer
{
    public AnalogLinear(string name, Parameter weight, Parameter? bias, LayerHardware hardware) : base(name, weight, bias, hardware) { }

    protected override Tensor WeightMatrix() => weight;

    public override Tensor forward(Tensor x)
    {
        var lead = x.shape[..^1];
        var y = StraightThrough(x.reshape(-1, x.shape[^1]));
        return y.view(lead.Append(y.shape[1]).ToArray());
    }
}

/// <summary>
/// A 2-D convolution executed on IMC cores via unfold: every output pixel's receptive field
/// (Cin*kh*kw values, channel-major like the weight) is one input vector of the crossbar.
/// </summary>
public sealed class AnalogConv2d : AnalogLayer
{
    readonly long[] _kernel, _stride, _padding, _dilation;

    public AnalogConv2d(string name, Parameter weight, Parameter? bias, long[] stride, long[] padding, long[] dilation, LayerHardware hardware)
        : base(name, weight, bias, hardware)
    {
        _kernel = weight.shape[2..];
        _stride = stride;
        _padding = padding;
        _dilation = dilation;
    }

    protected override Tensor WeightMatrix() => weight.view(weight.shape[0], -1);

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        long ho = (h + 2 * _padding[0] - _dilation[0] * (_kernel[0] - 1) - 1) / _stride[0] + 1;
        long wo = (w + 2 * _padding[1] - _dilation[1] * (_kernel[1] - 1) - 1) / _stride[1] + 1;
        var cols = nn.functional.unfold(x, (_kernel[0], _kernel[1]), (_dilation[0], _dilation[1]), (_padding[0], _padding[1]), (_stride[0], _stride[1]));
        var rows = cols.transpose(1, 2).reshape(-1, cols.shape[1]);                 // [B*L, K]
        var y = StraightThrough(rows);                                               // [B*L, N]
        return y.view(b, ho * wo, -1).transpose(1, 2).reshape(b, -1, ho, wo);
    }
}
