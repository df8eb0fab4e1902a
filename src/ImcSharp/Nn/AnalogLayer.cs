using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using ImcSharp.IO;
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
/// Forward with gradients returns the hardware's value with a surrogate's gradient,
/// y = y_hw + (y_sur - y_sur.detach()) (one node, <see cref="StraightThrough.Output"/>). Quantized-digital: y_sur is the float layer. Analog
/// (peripheral-aware training): y_sur = sum_t (x~_t W~_t^T) * G_t, with x~ and W~ the quantized
/// inputs and weights with straight-through gradients (inputs clipped to their range get none,
/// <see cref="StraightThrough.Inputs"/>),
/// t the array tiles, and G_t the ADCs' gate averaged over cycles and slices (see
/// <see cref="AnalogMvm"/>): so the ADC's straight-through estimator (<see cref="Gradient"/>)
/// acts on every partial sum the ADCs see.
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
    /// <summary>
    /// The array stage of this layer's chips (first-order unless replaced, e.g. by a circuit
    /// solver); a new stage applies from the next programming.
    /// </summary>
    public Crossbar.IArrayStage ArrayStage
    {
        get => _arrayStage;
        set { _arrayStage = value; _chip?.Dispose(); _chip = null; }
    }
    Crossbar.IArrayStage _arrayStage = Crossbar.FirstOrderArray.Instance;
    /// <summary>
    /// Whether the chip may use ImcSharp's CPU kernels (see <see cref="ComputeTarget"/>); false runs
    /// the generic tensor path, which gives the same numbers. Applies from the next programming.
    /// The chip's device is the weights' (move the model with <c>to(device)</c>).
    /// </summary>
    public bool CpuKernels
    {
        get => _cpuKernels;
        set { _cpuKernels = value; _chip?.Dispose(); _chip = null; }
    }
    bool _cpuKernels = true;
    /// <summary>Straight-through estimator of the ADCs when training in analog execution.</summary>
    public AdcGradient Gradient { get; set; } = AdcGradient.Identity;
    /// <summary>Bytes of intermediate data per chunk of samples on the hardware path.</summary>
    const long ChunkBytes = 12L << 20;

    /// <summary>Calibrated ADC range per weight slice (range mode calibrated); null until calibrated.</summary>
    public IReadOnlyList<SliceRange>? AdcRanges { get; private set; }

    ProgrammedLayer? _chip;
    ulong _chipSeed;
    ulong? _globalSeed;
    int? _corner;

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
        ResetCalibration();
    }

    /// <summary>Weight as the [N, K] matrix the crossbar holds.</summary>
    public abstract Tensor WeightMatrix();
    /// <summary>The float layer (with bias), differentiable.</summary>
    protected abstract Tensor FloatForward(Tensor x);
    /// <summary>Input vectors [M, K] of a batch of samples (unfold for a convolution).</summary>
    protected abstract Tensor ToRows(Tensor x);
    /// <summary>Outputs [M, N] back to the layer's output shape of the samples of <paramref name="x"/>.</summary>
    protected abstract Tensor FromRows(Tensor y, Tensor x);
    /// <summary>Crossbar input vectors per sample (output pixels for a convolution).</summary>
    protected abstract long RowsPerSample(Tensor x);
    /// <summary>A convolution's geometry: the hardware path then runs one convolution per tile instead of unfolding (null: a matmul layer).</summary>
    protected virtual ConvGeometry? Convolution => null;

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
            throw new ImcInputException($"{LayerName}: its weights are not all finite (NaN or infinite): the network diverged or its checkpoint is damaged");
        var previous = _chip;
        var programmed = chips.Select(c => new ProgrammedLayer(wq, scale, Hardware, c.Chip, c.Global, c.Corner, AdcRanges, CpuKernels,
            chips.Count == 1 ? previous : null) { ArrayStage = ArrayStage }).ToList();
        _chip = ProgrammedLayer.Stack(programmed);
        previous?.Dispose();
        (_chipSeed, _globalSeed, _corner) = (chips[^1].Chip, chips[^1].Global, chips[^1].Corner);
    }

    /// <summary>What the calibrated ADC ranges depend on besides the network: a stored range is reused only on the same.</summary>
    string AdcRangeKey
    {
        get
        {
            var r = Hardware.Adc.Range;
            return $"{Hardware.Adc.Bits} bits, {Json.Name(Hardware.Core.Subtract)} subtraction, {Json.Name(r.Method)}{(r.Method == RangeMethod.Percentile ? $" {r.Percentile}" : "")}" +
                   $"{(r.Asymmetric ? " asymmetric" : "")}{(r.PerSlice ? " per slice" : "")}, {Hardware.Core.Rows}x{Hardware.Core.Columns} {Json.Name(Hardware.Core.Mapping)} w{Hardware.Core.WeightBits}/{Hardware.Core.BitsPerCell} x{Hardware.Core.InputBits}/{Hardware.Core.CycleBits}";
        }
    }

    /// <summary>What calibration set: input range and sign, and the calibrated ADC ranges (null when the range is not calibrated).</summary>
    public LayerCalibration? Calibration =>
        InputRange is { } r ? new LayerCalibration(r, InputSigned, AdcRanges?.ToList(), AdcRanges is null ? null : AdcRangeKey) : null;

    /// <summary>
    /// Restores a stored calibration (e.g. the one a network was trained with). Its ADC ranges are
    /// taken only when made for this ADC and core (<see cref="AdcRangeKey"/>); otherwise they are
    /// recalibrated (<see cref="AdcRangesPending"/>).
    /// </summary>
    public void Apply(LayerCalibration c)
    {
        InputRange = c.InputRange;
        InputSigned = c.InputSigned;
        AdcRanges = c.AdcRanges is { Count: > 0 } ranges && c.AdcRangeKey == AdcRangeKey ? ranges : null;
        _chip?.Dispose();
        _chip = null;
    }

    /// <summary>Forgets the input range and the calibrated ADC ranges: the next forward sets them from its inputs.</summary>
    public void ResetCalibration()
    {
        InputRange = null;
        AdcRanges = null;
        _chip?.Dispose();
        _chip = null;
    }

    /// <summary>The ADC range is calibrated but not yet set: the next quantized or analog forward sets it from its inputs.</summary>
    public bool AdcRangesPending => Hardware.Adc.Range.Mode == AdcRangeMode.Calibrated && AdcRanges is null;

    /// <summary>
    /// Calibrated ADC ranges: per weight slice (or pooled, without per-slice ranges), the range
    /// <see cref="AdcScales.Calibrate"/> picks for the partial sums of the inputs <paramref name="x"/>
    /// on a nominal array (quantized weights and inputs, the layer's subtraction); at most 2^20
    /// sums per slice (an even stride over the sums [T, phases*B, columns] in that order) enter,
    /// 2^16 for the error-minimising search. The sums are made in chunks of input vectors and only
    /// the strided ones kept, so memory stays bounded whatever the calibration set.
    /// </summary>
    void CalibrateAdcRange(Tensor x)
    {
        using var scope = NewDisposeScope();
        var core = Hardware.Core;
        var exact = Hardware.With(VariationLevels.Nominal) with { Adc = new AdcConfig { Kind = Converters.IdealArchitecture.Name, Bits = Hardware.Adc.Bits, Range = new AdcRange { Mode = AdcRangeMode.Exact } } };
        var (wq, scale) = WeightSlicing.Quantize(WeightMatrix().detach(), core.WeightBits);
        using var nominal = new ProgrammedLayer(wq, scale, exact, 0);
        // Quantized per element on the samples and unfolded chunk by chunk: the same input vectors as
        // quantizing the unfolded rows (padding zeros stay zero), without every receptive field of the
        // calibration set at once (ResNet-20's first convolutions on 1,000 images: 0.45 GB a copy).
        var xs = InputEncoding.Quantize(x, InputScale, core.InputBits, InputSigned, CpuKernels);
        long L = RowsPerSample(x);                                                               // input vectors per sample
        // Tile by tile from the images (ConvGeometry.TileSums) when that gives the same sums: integers below 2^24, exact in any order.
        bool convolve = Convolution is not null && IntegerSums(nominal, InputEncoding.QuantMax(core.InputBits, InputSigned));
        var range = Hardware.Adc.Range;
        int groups = range.PerSlice ? core.Slices : 1;
        long limit = range.Method == RangeMethod.Mse ? 1L << 16 : 1L << 20;
        long T = nominal.Tiles, P = InputEncoding.Phases(core, InputSigned), B = x.size(0) * L;
        long chunk = Math.Max(1, (24L << 20) / (4 * T * P * Math.Max(nominal.ConvertedColumns, core.Rows)) / L) * L;
        var columns = new Tensor[groups];
        var columnIds = new long[groups][];
        // The kept sums go straight into one buffer per group: many small pieces living through the
        // loop would split the heap the chunks' temporaries are freed into, and it would grow.
        var kept = new Tensor[groups];
        long[] stride = new long[groups], filled = new long[groups];
        for (int s = 0; s < groups; s++)
        {
            int slice = s;
            columnIds[s] = Enumerable.Range(0, nominal.ConvertedColumns).Where(j => !range.PerSlice || nominal.ColumnSlices[j] == slice).Select(j => (long)j).ToArray();
            columns[s] = tensor(columnIds[s], device: x.device);
            long total = T * P * B * columnIds[s].Length;
            stride[s] = Math.Max(1, total / limit);
            kept[s] = empty((total + stride[s] - 1) / stride[s], device: x.device);                 // flat indices 0, stride, 2 stride, ...
        }
        for (long r0 = 0; r0 < B; r0 += chunk)
        {
            using var step = NewDisposeScope();
            long rows = Math.Min(chunk, B - r0);
            var images = xs.narrow(0, r0 / L, rows / L);
            // [T, P*rows, J], signal units (LSB 1); the same rows from a convolution as from the unfolded input vectors.
            var p = (convolve ? AnalogMvm.ConvPartialSums(nominal, images, Convolution!, InputSigned)
                : AnalogMvm.PartialSums(nominal, ToRows(images), InputSigned)).contiguous();
            for (int s = 0; s < groups; s++)
            {
                // Every stride-th sum of the whole set [T, P*B, js] (flat index f), in that order:
                // gathered by position in p, [T, P*rows, J], rather than masking all of them.
                var sums = stride[s] == 1 ? p.index_select(2, columns[s]).flatten()
                    : p.view(-1).index_select(0, ComputeTarget.On(KeptPositions(stride[s], T * P, B, r0, rows, columnIds[s], p.size(2)), p.device));
                long n = sums.numel();
                kept[s].narrow(0, filled[s], n).copy_(sums);
                filled[s] += n;
            }
            NativeRuntime.CollectFinalizable();
        }
        for (int s = 0; s < groups; s++)
            if (filled[s] != kept[s].size(0)) throw new InvalidOperationException($"{LayerName}: {filled[s]} calibration sums kept, expected {kept[s].size(0)}");
        AdcRanges = Enumerable.Range(0, groups).Select(s => AdcScales.Calibrate(kept[s], range, Hardware.Adc.Bits, nominal.DigitalSubtraction)).ToList();
        _chip?.Dispose();
        _chip = null;
    }

    /// <summary>
    /// Whether <paramref name="chip"/>'s partial sums of inputs up to <paramref name="inputMax"/> are
    /// integers below 2^24 (integer cells, no gains, offsets or noise), which float32 adds exactly in
    /// any order: then a convolution and a matmul of the unfolded inputs give the same sums.
    /// </summary>
    static bool IntegerSums(ProgrammedLayer chip, double inputMax)
    {
        if (chip.ReadVariance is not null || chip.ColumnOffset is not null) return false;
        var matrices = chip.Saturation is { } sat ? new[] { sat.Positive, sat.Negative } : new[] { chip.EffectiveByColumn };
        foreach (var m in matrices)
        {
            using var scope = NewDisposeScope();
            if (m.ne(m.round()).any().item<bool>()) return false;
            if (m.abs().sum(-1).max().item<float>() * inputMax >= 1 << 24) return false;
        }
        return true;
    }

    /// <summary>
    /// Positions in a chunk's partial sums [TP, rows, J] (flattened) of the sums whose flat index
    /// f = (tp B + r) js + j in the whole set [TP, B, js] is a multiple of <paramref name="stride"/>,
    /// for the chunk's rows r in [r0, r0 + rows) and columns <paramref name="columns"/> (j: their
    /// index), in increasing f.
    /// </summary>
    internal static unsafe Tensor KeptPositions(long stride, long tp, long B, long r0, long rows, long[] columns, long J)
    {
        long js = columns.Length, count = 0;
        for (long t = 0; t < tp; t++)
        {
            long first = (t * B + r0) * js, end = first + rows * js, from = (first + stride - 1) / stride * stride;
            if (from < end) count += (end - 1 - from) / stride + 1;
        }
        // Straight into a native index tensor, stepping (row, column) without a division per sum:
        // up to 2^20 positions a layer, which as managed arrays would churn the large-object heap.
        var positions = empty(count, ScalarType.Int64);
        long* dst = (long*)NativeData.Pointer(positions);
        long rowStep = stride / js, columnStep = stride % js, k = 0;
        for (long t = 0; t < tp; t++)
        {
            long first = (t * B + r0) * js, end = first + rows * js, f = (first + stride - 1) / stride * stride;
            if (f >= end) continue;
            long row = (f - first) / js, column = (f - first) % js;
            for (; f < end; f += stride)
            {
                dst[k++] = (t * rows + row) * J + columns[column];
                row += rowStep;
                column += columnStep;
                if (column >= js) { column -= js; row++; }
            }
        }
        if (k != count) throw new InvalidOperationException($"calibration: {k} kept positions, expected {count}");
        return positions;
    }

    /// <summary>Sets the input range from inputs: max |x|, signed if any x &lt; 0.</summary>
    public void CalibrateInput(Tensor x)
    {
        using var g = no_grad();
        InputRange = Math.Max(1e-12, x.abs().max().item<float>());
        InputSigned = x.min().item<float>() < 0;
    }

    public double InputScale => InputRange!.Value / InputEncoding.QuantMax(Hardware.Core.InputBits, InputSigned);

    /// <summary>Crossbar input vectors per sample seen by the last forward (output pixels of a convolution; 1 for a linear layer).</summary>
    public long VectorsPerSample { get; private set; }

    public override Tensor forward(Tensor x)
    {
        VectorsPerSample = RowsPerSample(x);
        if (Execution == Execution.Float) return FloatForward(x);
        bool training = is_grad_enabled() && (weight.requires_grad || x.requires_grad);
        var (hw, gate) = HardwareForward(x, training && Execution == Execution.Analog ? Gradient : null);
        if (!training) return hw;
        var sur = gate is null ? new[] { (FloatForward(x), (Tensor?)null) } : Surrogate(x, gate);
        return StraightThrough.Output(hw, sur);
    }

    /// <summary>
    /// The terms of y_sur = sum_t (x~_t W~_t^T) * G_t + b, differentiable in x and W (see the class
    /// summary), each with its gate (the bias with none), in the output's layout: they give the
    /// gradient only (<see cref="StraightThrough.Output"/>), so nothing multiplies or adds them.
    /// </summary>
    (Tensor, Tensor?)[] Surrogate(Tensor x, Tensor gate)
    {
        var core = Hardware.Core;
        // Clipping and quantizing act per element: on the images of a convolution, before its receptive fields.
        var xt = StraightThrough.Inputs(Convolution is null ? ToRows(x) : x, InputScale, core.InputBits, InputSigned, CpuKernels);
        var wt = StraightThrough.Weights(WeightMatrix(), core.WeightBits, CpuKernels);
        int tiles = _chip!.Tiles;
        var terms = new List<(Tensor, Tensor?)>();
        if (Convolution is { } conv)
        {
            // conv(x~, W~ on tile t's rows) with G_t [B L, N] as images [B, N, Ho, Wo].
            var (h, wd) = conv.Output(x);
            for (int t = 0; t < tiles; t++)
            {
                var (c0, count) = conv.TileChannels(t, core.Rows);
                var yt = conv.Convolve(count == conv.Channels ? xt : xt.narrow(1, c0, count), tiles == 1 ? wt.view(weight.size(0), -1, conv.KernelH, conv.KernelW) : conv.TileKernel(wt, t, core.Rows));
                terms.Add((yt, gate[t].view(x.size(0), h, wd, -1).permute(0, 3, 1, 2)));
            }
            if (bias is not null) terms.Add((bias.view(1, -1, 1, 1), null));
            return terms.ToArray();
        }
        // Input vectors [M, K]: tile t's products [M, N] (all tiles as [T, M, N]) and its gate, in the output's shape.
        var shape = x.Sizes()[..^1].Append(weight.size(0)).ToArray();
        if (tiles == 1) terms.Add((FromRows(xt.matmul(wt.t()), x), gate[0].view(shape)));
        else
        {
            long m = xt.size(0), n = wt.size(0), r = core.Rows, pad = tiles * r - wt.size(1);
            var xp = nn.functional.pad(xt, new long[] { 0, pad }).view(m, tiles, r).transpose(0, 1);       // [T, M, R]
            var wp = nn.functional.pad(wt, new long[] { 0, pad }).view(n, tiles, r).permute(1, 2, 0);      // [T, R, N]
            var tileShape = shape.Prepend(tiles).ToArray();
            terms.Add((xp.bmm(wp).view(tileShape), gate.view(tileShape)));
        }
        if (bias is not null) terms.Add((bias, null));
        return terms.ToArray();
    }

    /// <summary>
    /// The layer through quantizers (and the chip, in analog execution), in chunks of samples, with
    /// bias; with <paramref name="gradient"/>, also the ADC gate [T, rows, N] of every input row.
    /// </summary>
    (Tensor Y, Tensor? Gate) HardwareForward(Tensor x, AdcGradient? gradient)
    {
        using var g = no_grad();
        if (InputRange is null) CalibrateInput(x);
        if (AdcRangesPending) CalibrateAdcRange(x);
        if (Execution == Execution.Analog && _chip is null) Program(_chipSeed);
        var wq = Execution == Execution.QuantizedDigital ? WeightSlicing.Quantize(WeightMatrix().detach(), Hardware.Core.WeightBits) : default;
        var chip = Execution == Execution.Analog ? _chip : null;
        int chips = chip?.Chips ?? 1;
        if (x.size(0) % chips != 0) throw new ArgumentException($"{LayerName}: {x.size(0)} samples for {chips} chips: expected a block of samples per chip");
        if (chips > 1 && gradient is not null) throw new NotSupportedException($"{LayerName}: a stack of chips evaluates; training programs one chip at a time");
        long n = x.size(0) / chips;
        // The quantized reference convolves too when float32 can sum its integers exactly (see QuantizedChannelsPerConvolution).
        var conv = chip is not null || QuantizedChannelsPerConvolution > 0 ? Convolution : null;
        // Per input vector: its K values (unfolded) and the P J partial sums of each tile (T of them without unfolding).
        long width = conv is not null && chip is not null ? (long)InputEncoding.Phases(Hardware.Core, InputSigned) * chip.ConvertedColumns * chip.Tiles
            : Math.Max(WeightMatrix().size(1), chip is null ? 1 : InputEncoding.Phases(Hardware.Core, InputSigned) * chip.ConvertedColumns);
        long chunk = Math.Max(1, ChunkBytes / (4 * width * Math.Max(1, RowsPerSample(x))));
        // A stack of K chips runs as one batch while all its chips' samples fit one chunk (small layers,
        // where one chip alone leaves the cores idle between small operations); otherwise chip by chip.
        // Either way each chip is chunked as it is alone, so it draws the same noise.
        if (chips > 1 && chips * n > chunk)
        {
            var parts = chip!.Members.Select((m, k) => Chunks(m, x.narrow(0, k * n, n), chunk, wq, conv, null).Y).ToArray();
            return (cat(parts, 0), null);
        }
        return Chunks(chip, x, chunk, wq, conv, gradient);
    }

    /// <summary>
    /// Input channels a float32 product of the quantized layer may sum at once: every integer
    /// sum then stays below 2^24 (|xq| |wq| per channel's kh kw rows), where float32 holds every
    /// integer, so any summation order is exact. All channels when |xq| |wq| K fits (6-bit inputs,
    /// 4-bit weights over 576 rows), fewer for 8-bit inputs and weights; 0 (unfold and multiply in
    /// float64) when not even one channel fits, or for a matmul layer.
    /// </summary>
    long QuantizedChannelsPerConvolution
    {
        get
        {
            if (Convolution is not { } conv) return 0;
            double perChannel = InputEncoding.QuantMax(Hardware.Core.InputBits, InputSigned) * ((1 << (Hardware.Core.WeightBits - 1)) - 1) * (double)(conv.KernelH * conv.KernelW);
            return Math.Min(conv.Channels, (long)Math.Floor(((1 << 24) - 1) / perChannel));
        }
    }

    /// <summary>The hardware path on <paramref name="chip"/> (null: quantized-digital) in chunks of <paramref name="chunk"/> samples per chip.</summary>
    (Tensor Y, Tensor? Gate) Chunks(ProgrammedLayer? chip, Tensor x, long chunk, (Tensor Wq, double Scale) wq, ConvGeometry? conv, AdcGradient? gradient)
    {
        int chips = chip?.Chips ?? 1;
        long n = x.size(0) / chips;
        var outs = new List<Tensor>();
        var gates = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            NativeRuntime.CollectFinalizable();
            // Free each chunk's temporaries before the next: memory stays cache-sized and is reused.
            using var scope = NewDisposeScope();
            var xs = chunk >= n ? x : AnalogMvm.ChipRows(x, chips, start, Math.Min(chunk, n - start));
            // Quantization acts per element: a convolution's images are quantized before their receptive fields.
            var xq = InputEncoding.Quantize(conv is null ? ToRows(xs) : xs, InputScale, Hardware.Core.InputBits, InputSigned, CpuKernels);
            Tensor y;
            if (chip is null && conv is not null)
            {
                // Integer sums below 2^24 per group of channels: float32 adds them exactly in any order; the
                // groups' exact sums added in float64 and rounded once give the float64 product's result.
                long group = QuantizedChannelsPerConvolution;
                var kernel = wq.Wq.view(wq.Wq.size(0), conv.Channels, conv.KernelH, conv.KernelW);
                Tensor images;
                if (group >= conv.Channels) images = conv.IntegerImages(xq, kernel);
                else
                {
                    Tensor? sum = null;
                    for (long c0 = 0; c0 < conv.Channels; c0 += group)
                    {
                        long count = Math.Min(group, conv.Channels - c0);
                        var part = conv.IntegerImages(xq.narrow(1, c0, count), kernel.narrow(1, c0, count)).to_type(ScalarType.Float64);
                        sum = sum is null ? part : sum.add_(part);
                    }
                    images = sum!.to_type(ScalarType.Float32);
                }
                images.mul_((float)(wq.Scale * InputScale));
                if (bias is not null) images.add_(bias.view(1, -1, 1, 1));
                outs.Add(images.MoveToOuterDisposeScope());
                continue;
            }
            if (chip is null)
            {
                // float64 keeps every integer product and sum exact; the sums fit float32 exactly.
                y = xq.to_type(ScalarType.Float64).matmul(wq.Wq.to_type(ScalarType.Float64).t()).to_type(ScalarType.Float32)
                    .mul_((float)(wq.Scale * InputScale));
            }
            else
            {
                var probe = PartialSumProbe is { } p ? (Action<Tensor>)(t => p(this, t)) : null;
                // Same rescaling as the quantized-digital path, so an exact core gives identical floats.
                Tensor? gate;
                (y, gate) = conv is not null ? AnalogMvm.ForwardConv(chip, xq, conv, InputSigned, probe, gradient)
                    : AnalogMvm.Forward(chip, xq, InputSigned, probe, gradient);
                y.mul_((float)(chip.WeightScale * InputScale));
                if (gate is not null) gates.Add(gate.MoveToOuterDisposeScope());
            }
            if (bias is not null) y.add_(bias);
            outs.Add(FromRows(y, xs).MoveToOuterDisposeScope());
        }
        var result = AnalogMvm.JoinChipRows(outs, chips);
        return (result, gates.Count == 0 ? null : gates.Count == 1 ? gates[0] : cat(gates, 1));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _chip?.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// A layer's calibration: input range max|x| and sign, and the calibrated ADC range of each weight
/// slice with what it was calibrated for (null when the range is not calibrated).
/// </summary>
/// <summary>The seeds of one chip of a layer (see <see cref="AnalogLayer.ProgramChips"/>): its own draws, the chip-level (global) draws, its corner.</summary>
public sealed record ChipSeeds(ulong Chip, ulong? Global = null, int? Corner = null);

public sealed record LayerCalibration(double InputRange, bool InputSigned, List<SliceRange>? AdcRanges = null, string? AdcRangeKey = null);

/// <summary>A fully connected layer executed on IMC cores: y = x W^T + b.</summary>
public sealed class AnalogLinear : AnalogLayer
{
    public AnalogLinear(string name, Parameter weight, Parameter? bias, LayerHardware hardware) : base(name, weight, bias, hardware) { }

    public override Tensor WeightMatrix() => weight;
    protected override Tensor FloatForward(Tensor x) => nn.functional.linear(x, weight, bias);
    protected override Tensor ToRows(Tensor x) => x.reshape(-1, x.Sizes()[^1]);
    protected override Tensor FromRows(Tensor y, Tensor x) => y.view(x.Sizes()[..^1].Append(y.size(1)).ToArray());
    protected override long RowsPerSample(Tensor x) => x.Sizes()[1..^1].Aggregate(1L, (a, b) => a * b);
}

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
    public AnalogConv2d(string name, Parameter weight, Parameter? bias, long[] stride, long[] padding, long[] dilation, LayerHardware hardware, long groups = 1)
        : base(name, weight, bias, hardware)
    {
        _conv = new ConvGeometry(weight.size(1) * groups, weight.size(2), weight.size(3), stride, padding, dilation);
        _groups = groups;
    }

    protected override ConvGeometry Convolution => _conv;

    /// <summary>[O, C kh kw] over the unfolded input (channel-major): the weights, or for groups their block diagonal.</summary>
    public override Tensor WeightMatrix()
    {
        var w = weight.view(weight.size(0), -1);
        if (_groups == 1) return w;
        return torch.block_diag(w.chunk(_groups, 0));
    }

    protected override Tensor FloatForward(Tensor x) =>
        Convolution2d.Apply(x, weight, bias, _conv.Stride, _conv.Padding, _conv.Dilation, _groups);

    protected override long RowsPerSample(Tensor x) => _conv.Pixels(x);
    protected override Tensor ToRows(Tensor x) => _conv.Unfold(x);
    protected override Tensor FromRows(Tensor y, Tensor x) => _conv.ToImages(y, x);
}
