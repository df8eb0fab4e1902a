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
/// Forward with gradients is straight-through: y = y_float + (y_hw - y_float).detach(), so
/// gradients reach the float weights as if the quantizers and ADCs were identity.
/// The hardware path runs in chunks of samples so its temporaries stay cache-sized.
/// </summary>
public abstract class AnalogLayer : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    public Parameter? bias;
    public LayerHardware Hardware { get; private set; }
    public string LayerName { get; }
    public Execution Execution { get; set; } = Execution.Analog;
    /// <summary>Input range (max |x|) for input quantization; set by calibration or the first batch.</summary>
    public double? InputRange { get; set; }
    /// <summary>Whether inputs can be negative (signed quantization); set with <see cref="InputRange"/>.</summary>
    public bool InputSigned { get; set; }
    /// <summary>Called with the pre-ADC partial sums [T, cycles*B, N*S] (signal units) of each chunk.</summary>
    public Action<AnalogLayer, Tensor>? PartialSumProbe { get; set; }
    /// <summary>Bytes of intermediate data per chunk of samples on the hardware path.</summary>
    public static long ChunkBytes { get; set; } = 12L << 20;

    ProgrammedLayer? _chip;
    ulong _chipSeed;
    ulong? _globalSeed;

    protected AnalogLayer(string name, Parameter weight, Parameter? bias, LayerHardware hardware) : base(name)
    {
        LayerName = name;
        this.weight = weight;
        this.bias = bias;
        Hardware = hardware;
        RegisterComponents();
    }

    public ProgrammedLayer? Chip => _chip;

    /// <summary>Moves the layer to other hardware; the chip is reprogrammed on the next forward.</summary>
    public void Retarget(LayerHardware hardware, Execution execution)
    {
        Hardware = hardware;
        Execution = execution;
        InputRange = null;
        _chip?.Dispose();
        _chip = null;
    }

    /// <summary>Weight as the [N, K] matrix the crossbar holds.</summary>
    public abstract Tensor WeightMatrix();
    /// <summary>The float layer (with bias), differentiable.</summary>
    protected abstract Tensor FloatForward(Tensor x);
    /// <summary>Input vectors [M, K] of a batch of samples (unfold for a convolution).</summary>
    protected abstract Tensor ToRows(Tensor x);
    /// <summary>Outputs [M, N] back to the layer's output shape for <paramref name="samples"/> samples.</summary>
    protected abstract Tensor FromRows(Tensor y, Tensor x);
    /// <summary>Crossbar input vectors per sample (output pixels for a convolution).</summary>
    protected abstract long RowsPerSample(Tensor x);

    /// <summary>
    /// Programs the current weights onto a chip; the chip's random draws come from
    /// <paramref name="chipSeed"/> (see <see cref="AnalogConversion.ChipSeed"/>).
    /// </summary>
    public void Program(ulong chipSeed, ulong? globalSeed = null)
    {
        using var scope = NewDisposeScope();
        using var g = no_grad();
        var (wq, scale) = WeightSlicing.Quantize(WeightMatrix().detach(), Hardware.Core.WeightBits);
        _chip?.Dispose();
        _chip = new ProgrammedLayer(wq, scale, Hardware, chipSeed, globalSeed ?? _globalSeed);
        _chipSeed = chipSeed;
        _globalSeed = globalSeed ?? _globalSeed;
    }

    /// <summary>Sets the input range from inputs: max |x|, signed if any x &lt; 0.</summary>
    public void CalibrateInput(Tensor x)
    {
        using var g = no_grad();
        InputRange = Math.Max(1e-12, x.abs().max().item<float>());
        InputSigned = x.min().item<float>() < 0;
    }

    public double InputScale => InputRange!.Value / InputEncoding.QuantMax(Hardware.Core.InputBits, InputSigned);

    public override Tensor forward(Tensor x)
    {
        if (Execution == Execution.Float) return FloatForward(x);
        var hw = HardwareForward(x);
        if (!is_grad_enabled() || !weight.requires_grad) return hw;
        var fl = FloatForward(x);
        return fl + (hw - fl).detach();
    }

    /// <summary>The layer through quantizers (and the chip, in analog execution), in chunks of samples, with bias.</summary>
    Tensor HardwareForward(Tensor x)
    {
        using var g = no_grad();
        if (InputRange is null) CalibrateInput(x);
        if (Execution == Execution.Analog && _chip is null) Program(_chipSeed);
        var wq = Execution == Execution.QuantizedDigital ? WeightSlicing.Quantize(WeightMatrix().detach(), Hardware.Core.WeightBits) : default;
        long n = x.shape[0];
        long width = Math.Max(WeightMatrix().shape[1], _chip is null ? 1 : Hardware.Core.Cycles * _chip.SignalColumns);
        long chunk = Math.Max(1, ChunkBytes / (4 * width * Math.Max(1, RowsPerSample(x))));
        var outs = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            // Free each chunk's temporaries before the next: memory stays cache-sized and is reused.
            using var scope = NewDisposeScope();
            var xs = chunk >= n ? x : x.narrow(0, start, Math.Min(chunk, n - start));
            var rows = ToRows(xs);
            var xq = InputEncoding.Quantize(rows, InputScale, Hardware.Core.InputBits, InputSigned);
            Tensor y;
            if (Execution == Execution.QuantizedDigital)
            {
                // float64 keeps every integer product and sum exact; the sums fit float32 exactly.
                y = xq.to_type(ScalarType.Float64).matmul(wq.Wq.to_type(ScalarType.Float64).t()).to_type(ScalarType.Float32)
                    .mul_((float)(wq.Scale * InputScale));
            }
            else
            {
                var probe = PartialSumProbe is { } p ? (Action<Tensor>)(t => p(this, t)) : null;
                // Same rescaling as the quantized-digital path, so an exact core gives identical floats.
                y = AnalogMvm.Forward(_chip!, xq, InputSigned, probe).mul_((float)(_chip!.WeightScale * InputScale));
            }
            if (bias is not null) y.add_(bias);
            outs.Add(FromRows(y, xs).MoveToOuterDisposeScope());
        }
        return outs.Count == 1 ? outs[0] : cat(outs, 0);
    }

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

    public override Tensor WeightMatrix() => weight;
    protected override Tensor FloatForward(Tensor x) => nn.functional.linear(x, weight, bias);
    protected override Tensor ToRows(Tensor x) => x.reshape(-1, x.shape[^1]);
    protected override Tensor FromRows(Tensor y, Tensor x) => y.view(x.shape[..^1].Append(y.shape[1]).ToArray());
    protected override long RowsPerSample(Tensor x) => x.shape[1..^1].Aggregate(1L, (a, b) => a * b);
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

    public override Tensor WeightMatrix() => weight.view(weight.shape[0], -1);

    protected override Tensor FloatForward(Tensor x) =>
        nn.functional.conv2d(x, weight, bias, strides: _stride, padding: _padding, dilation: _dilation);

    (long H, long W) OutputSize(Tensor x) =>
        ((x.shape[2] + 2 * _padding[0] - _dilation[0] * (_kernel[0] - 1) - 1) / _stride[0] + 1,
         (x.shape[3] + 2 * _padding[1] - _dilation[1] * (_kernel[1] - 1) - 1) / _stride[1] + 1);

    protected override long RowsPerSample(Tensor x) { var (h, w) = OutputSize(x); return h * w; }

    protected override Tensor ToRows(Tensor x)
    {
        var cols = nn.functional.unfold(x, (_kernel[0], _kernel[1]), (_dilation[0], _dilation[1]), (_padding[0], _padding[1]), (_stride[0], _stride[1]));
        return cols.transpose(1, 2).reshape(-1, cols.shape[1]);                     // [B*L, K]
    }

    protected override Tensor FromRows(Tensor y, Tensor x)
    {
        var (h, w) = OutputSize(x);
        return y.view(x.shape[0], h * w, -1).transpose(1, 2).reshape(x.shape[0], -1, h, w);
    }
}
