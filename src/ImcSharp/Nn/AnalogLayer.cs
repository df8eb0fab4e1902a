using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using ImcSharp.Nn.Aware;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// State shared by <see cref="AnalogLinear"/> and <see cref="AnalogConv2d"/>: the float weight and bias (same
/// parameter names as torch's layers, so float checkpoints load), the hardware, the input quantization range, and
/// the chip the weights are programmed on. Forward with gradients returns the hardware's value with a surrogate's
/// gradient, y = y_hw + (y_sur - y_sur.detach()) (one node, <see cref="StraightThrough.Output"/>). Quantized-digital:
/// y_sur is the float layer. Analog (peripheral-aware training): y_sur = sum_t (x~_t W~_t^T) * G_t, with x~ and W~
/// the quantized inputs and weights with straight-through gradients (inputs clipped to their range get none,
/// <see cref="StraightThrough.Inputs"/>), t the array tiles, and G_t the ADCs' gate averaged over cycles and slices
/// (see <see cref="AnalogMvm"/>): so the ADC's straight-through estimator (<see cref="Gradient"/>) acts on every
/// partial sum the ADCs see. The hardware path runs in chunks of samples (<see cref="LayerEngine"/>).
/// </summary>
public abstract class AnalogLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // torch's parameter names: the state dict's keys
    /// <summary>The float weight (a conversion shares the digital layer's tensor).</summary>
    public Parameter weight;
    /// <summary>The float bias, added digitally after the crossbar; null: none.</summary>
    public Parameter? bias;
#pragma warning restore IDE1006
    /// <summary>The layer's design: core, cell, array and ADC (see <see cref="Retarget"/>).</summary>
    public LayerHardware Hardware { get; private set; }
    /// <summary>The layer's name in the network (the module path), used in errors and calibrations.</summary>
    public string LayerName { get; }
    /// <summary>How the forward runs: on the analog chip, the quantized reference, or float.</summary>
    public Execution Execution { get; set; } = Execution.Analog;
    /// <summary>Input range (max |x|) for input quantization; set by calibration or the first batch.</summary>
    public double? InputRange { get; set; }
    /// <summary>Whether inputs can be negative (signed quantization); set with <see cref="InputRange"/>.</summary>
    public bool InputSigned { get; set; }
    /// <summary>
    /// Called with the layer's output (real units) of each forward through quantizers or the chip without gradients;
    /// what it returns goes on (deployment measurements, <see cref="ChipCompensation"/>).
    /// </summary>
    public Func<AnalogLayer, Tensor, Tensor>? OutputHook { get; set; }
    /// <summary>Called with the pre-ADC partial sums [T, cycles*B, N*S] (signal units) of each chunk.</summary>
    public Action<AnalogLayer, Tensor>? PartialSumProbe { get; set; }
    /// <summary>
    /// Whether the chip may use ImcSharp's CPU kernels (see <see cref="ComputeTarget"/>); false runs
    /// the generic tensor path, which gives the same numbers. Applies from the next programming.
    /// The chip's device is the weights' (move the model with <c>to(device)</c>).
    /// </summary>
    public bool CpuKernels
    {
        get => _cpuKernels;
        set { _cpuKernels = value; DropChip(); }
    }
    bool _cpuKernels = true;
    /// <summary>Straight-through estimator of the ADCs when training in analog execution.</summary>
    public AdcGradient Gradient { get; set; } = AdcGradient.Identity;

    /// <summary>Calibrated ADC range per weight slice (range mode calibrated); null until calibrated.</summary>
    public IReadOnlyList<SliceRange>? AdcRanges { get; private set; }

    ProgrammedLayer? _chip;
    ulong _chipSeed;
    ulong? _globalSeed;
    int? _corner;

    /// <summary>A layer named <paramref name="name"/> over these parameters, on <paramref name="hardware"/>.</summary>
    protected AnalogLayer(string name, Parameter weight, Parameter? bias, LayerHardware hardware) : base(name)
    {
        LayerName = name;
        this.weight = weight;
        this.bias = bias;
        Hardware = hardware;
        RegisterComponents();
    }

    /// <summary>The programmed chip the analog forward runs on; null until the first analog forward.</summary>
    public ProgrammedLayer? Chip => _chip;

    /// <summary>Moves the layer to other hardware; the chip is reprogrammed on the next forward.</summary>
    public void Retarget(LayerHardware hardware, Execution execution)
    {
        Hardware = hardware;
        Execution = execution;
        ResetCalibration();
    }

    /// <summary>The digital layer over the same weight and bias tensors (the conversion's way back).</summary>
    public abstract nn.Module<Tensor, Tensor> ToDigital();
    /// <summary>Weight as the [N, K] matrix the crossbar holds.</summary>
    public abstract Tensor WeightMatrix();
    /// <summary>The float layer (with bias), differentiable.</summary>
    protected abstract Tensor FloatForward(Tensor x);
    /// <summary>
    /// How samples become crossbar input vectors (a convolution's receptive fields: its <see cref="ConvGeometry"/>).
    /// </summary>
    protected abstract IInputVectors Vectors { get; }

    /// <summary>
    /// Programs the current weights onto a chip; the chip's random draws come from
    /// <paramref name="chipSeed"/> (see <see cref="Seeds.Chip"/>).
    /// </summary>
    public void Program(ulong chipSeed, ulong? globalSeed = null, int? corner = null) =>
        ProgramChips(new[] { new ChipSeeds(chipSeed, globalSeed ?? _globalSeed, corner ?? _corner) });

    /// <summary>
    /// Programs the current weights onto K chips at once (<see cref="ProgrammedLayer.Stack"/>): in
    /// analog execution a forward then takes K blocks of samples, block k on chip k, and gives
    /// each the output chip k gives it alone. One chip is <see cref="Program"/>.
    /// </summary>
    public void ProgramChips(IReadOnlyList<ChipSeeds> chips)
    {
        if (chips.Count == 0) throw new ArgumentException("no chips to program", nameof(chips));
        using var scope = NewDisposeScope();
        using var g = no_grad();
        var (wq, scale) = WeightSlicing.Quantize(WeightMatrix().detach(), Hardware.Core.WeightBits);
        if (!double.IsFinite(scale))
            throw new ImcInputException(
                $"{LayerName}: its weights are not all finite (NaN or infinite): the network diverged or its " +
                "checkpoint is damaged");
        var previous = _chip;
        var programmed = chips.Select(c =>
        {
            var chip = new ProgrammedLayer(wq, scale, Hardware, c.Chip, c.Global, c.Corner, AdcRanges, Target,
                chips.Count == 1 ? previous : null);
            // What was measured at programming (drift compensation's reference, a trim not retaken) is measured on
            // the same chip read at t0.
            using var atProgramming = MeasuredAtProgramming(Hardware) is { } t0
                ? new ProgrammedLayer(wq, scale, t0, c.Chip, c.Global, c.Corner, AdcRanges, Target) : null;
            if (Hardware.Cell.DriftCompensation && atProgramming is not null)
                DriftCompensation.Apply(chip, atProgramming);
            OffsetTrim.Apply(chip, Hardware.Adc.OffsetRetrim ? null : atProgramming);
            return chip;
        }).ToList();
        _chip = ProgrammedLayer.Stack(programmed);
        previous?.Dispose();
        (_chipSeed, _globalSeed, _corner) = (chips[^1].Chip, chips[^1].Global, chips[^1].Corner);
    }

    /// <summary>
    /// The hardware read at t0 when cells age by their read time and something is measured at programming
    /// (drift compensation's reference, an offset trim not retaken at the read time); null otherwise.
    /// </summary>
    static LayerHardware? MeasuredAtProgramming(LayerHardware hw)
    {
        if (!Memory.CellAging.Ages(hw.Cell) || !(hw.Cell.ReadTime > hw.Cell.DriftReference)) return null;
        bool measures = hw.Cell.DriftCompensation || (hw.Adc.OffsetTrim && !hw.Adc.OffsetRetrim);
        return measures ? hw with { Cell = hw.Cell with { ReadTime = null } } : null;
    }

    /// <summary>
    /// What calibration set: input range and sign, and the calibrated ADC ranges (null when the range is not
    /// calibrated).
    /// </summary>
    public LayerCalibration? Calibration => InputRange is not { } r ? null
        : new(r, InputSigned, AdcRanges?.ToList(), AdcRanges is null ? null : RangeCalibration.Key(Hardware));

    /// <summary>
    /// Restores a stored calibration (e.g. the one a network was trained with). Its ADC ranges are
    /// taken only when made for this ADC and core (<see cref="RangeCalibration.Key"/>); otherwise they are
    /// recalibrated (<see cref="AdcRangesPending"/>).
    /// </summary>
    public void Apply(LayerCalibration c)
    {
        InputRange = c.InputRange;
        InputSigned = c.InputSigned;
        AdcRanges = c.AdcRanges is { Count: > 0 } ranges && c.AdcRangeKey == RangeCalibration.Key(Hardware) ? ranges
            : null;
        DropChip();
    }

    /// <summary>
    /// Forgets the input range and the calibrated ADC ranges: the next forward sets them from its inputs.
    /// </summary>
    public void ResetCalibration()
    {
        InputRange = null;
        AdcRanges = null;
        DropChip();
    }

    /// <summary>
    /// The ADC range is calibrated but not yet set: the next quantized or analog forward sets it from its inputs.
    /// </summary>
    public bool AdcRangesPending => Hardware.Adc.Range.Mode == AdcRangeMode.Calibrated && AdcRanges is null;

    /// <summary>Sets the input range from inputs: max |x|, signed if any x &lt; 0.</summary>
    public void CalibrateInput(Tensor x)
    {
        using var g = no_grad();
        InputRange = Math.Max(1e-12, x.abs().max().item<float>());
        InputSigned = x.min().item<float>() < 0;
    }

    /// <summary>The inputs' quantization step s_x: the input range over the largest integer input.</summary>
    public double InputScale => InputRange!.Value / InputEncoding.QuantMax(Hardware.Core.InputBits, InputSigned);

    /// <summary>
    /// Crossbar input vectors per sample over the forwards since <see cref="ResetCounts"/> (output pixels of a
    /// convolution; 1 per call of a linear layer, T for a sequence of T steps; a recurrent layer called once per step
    /// counts every call).
    /// </summary>
    public long VectorsPerSample { get; private set; }
    /// <summary>Forwards since <see cref="ResetCounts"/> (more than one: the layer is reused, as a recurrent one is).
    /// </summary>
    public int Calls { get; private set; }
    /// <summary>Inputs of every forward while recording (<see cref="AnalogConversion.CalibrateAdcRanges"/>).</summary>
    internal List<Tensor>? RecordedInputs { get; set; }

    /// <summary>Starts counting input vectors and forwards anew.</summary>
    public void ResetCounts() => (VectorsPerSample, Calls) = (0, 0);

    /// <summary>
    /// Sets the input range and, when pending, the calibrated ADC ranges from inputs <paramref name="x"/> [rows, K]
    /// gathered over several forwards (a recurrent layer's every step).
    /// </summary>
    internal void CalibrateOn(Tensor x)
    {
        using var g = no_grad();
        CalibrateInput(x);
        if (Hardware.Adc.Range.Mode == AdcRangeMode.Calibrated)
            AdcRanges = RangeCalibration.Calibrate(LayerName, Hardware, WeightMatrix(), x, Input, MatrixRows.Instance,
                Target);
        DropChip();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        VectorsPerSample += Vectors.RowsPerSample(x);
        Calls++;
        RecordedInputs?.Add(x.detach().reshape(-1, x.size(-1)).clone().DetachFromDisposeScope());
        if (Execution == Execution.Float) return FloatForward(x);
        bool training = is_grad_enabled() && (weight.requires_grad || x.requires_grad);
        var (hw, gate) = HardwareForward(x, training && Execution == Execution.Analog ? Gradient : null);
        if (!training) return OutputHook is { } hook ? hook(this, hw) : hw;
        var sur = gate is null ? new[] { (FloatForward(x), (Tensor?)null) }
            : Surrogate.Terms(Wiring, WeightMatrix(), _chip!.Tiles, x, gate);
        return StraightThrough.Output(hw, sur);
    }

    /// <summary>
    /// The layer through quantizers (and the chip, in analog execution) on the engine
    /// (<see cref="LayerEngine"/>), with bias; with <paramref name="gradient"/>, also the ADC gate
    /// [T, rows, N] of every input row (<see cref="AdcGate"/>, fed by the engine's partial sums).
    /// </summary>
    (Tensor Y, Tensor? Gate) HardwareForward(Tensor x, AdcGradient? gradient)
    {
        using var g = no_grad();
        if (InputRange is null) CalibrateInput(x);
        if (AdcRangesPending)
        {
            AdcRanges = RangeCalibration.Calibrate(LayerName, Hardware, WeightMatrix(), x, Input, Vectors, Target);
            DropChip();
        }
        if (Execution == Execution.Analog && _chip is null) Program(_chipSeed);
        var wq = Execution == Execution.QuantizedDigital
            ? WeightSlicing.Quantize(WeightMatrix().detach(), Hardware.Core.WeightBits) : default;
        var chip = Execution == Execution.Analog ? _chip : null;
        if (gradient is not { } mode || chip is null) return (LayerEngine.Run(Wiring, chip, wq, x), null);
        if (chip.Chips > 1) throw new NotSupportedException(
            $"{LayerName}: a stack of chips evaluates; training programs one chip at a time");
        using var gates = new AdcGate.Collector(chip, mode, InputSigned);
        var wiring = Wiring;
        var y = LayerEngine.Run(wiring with { Probe = wiring.Probe + gates.Observe }, chip, wq, x);
        return (y, gates.Gate);
    }

    /// <summary>What the engine needs of this layer besides its chip.</summary>
    LayerWiring Wiring => new(LayerName, Hardware, Vectors, Input, bias, Target,
        PartialSumProbe is { } p ? t => p(this, t) : null);

    QuantizedInput Input => new(InputScale, InputSigned);

    /// <summary>
    /// Where this layer computes: its weights' device, the CPU kernels as <see cref="CpuKernels"/> says.
    /// </summary>
    ComputeTarget Target => new(weight.device, CpuKernels);

    void DropChip()
    {
        _chip?.Dispose();
        _chip = null;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _chip?.Dispose();
        base.Dispose(disposing);
    }
}
