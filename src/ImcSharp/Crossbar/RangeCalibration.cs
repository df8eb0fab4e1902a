using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.IO;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>A layer's input quantizer: the value of one input LSB and whether inputs are signed.</summary>
public readonly record struct QuantizedInput(double Scale, bool Signed);

/// <summary>
/// Range calibration: the ADC range of each weight slice from the partial sums calibration images
/// give on a nominal array (range mode calibrated); once per design, not per chip.
/// </summary>
public static class RangeCalibration
{
    /// <summary>
    /// What the calibrated ADC ranges depend on besides the network: a stored range is reused only on the same.
    /// </summary>
    public static string Key(LayerHardware hardware)
    {
        var (r, core) = (hardware.Adc.Range, hardware.Core);
        return $"{hardware.Adc.Bits} bits, {Json.Name(core.Subtract)} subtraction, {Json.Name(r.Method)}"
            + $"{(r.Method == RangeMethod.Percentile ? $" {r.Percentile}" : "")}"
            + $"{(r.Asymmetric ? " asymmetric" : "")}{(r.PerSlice ? " per slice" : "")}, {core.Rows}x{core.Columns} "
            + $"{Json.Name(core.Mapping)} w{core.WeightBits}/{core.BitsPerCell} x{core.InputBits}/{core.CycleBits}";
    }

    /// <summary>
    /// Calibrated ADC ranges: per weight slice (or pooled, without per-slice ranges), the range
    /// <see cref="AdcScales.Calibrate"/> picks for the partial sums of the inputs <paramref name="x"/>
    /// on a nominal array (quantized weights and inputs, the layer's subtraction); at most 2^20
    /// sums per slice (an even stride over the sums [T, phases*B, columns] in that order) enter,
    /// 2^16 for the error-minimising search. The sums are made in chunks of input vectors and only
    /// the strided ones kept, so memory stays bounded whatever the calibration set.
    /// </summary>
    public static List<SliceRange> Calibrate(string layer, LayerHardware hardware, Tensor weightMatrix, Tensor x,
        QuantizedInput input,
        IInputVectors vectors, ComputeTarget target)
    {
        using var scope = NewDisposeScope();
        var core = hardware.Core;
        var exact = hardware.With(VariationLevels.Nominal) with {
            Adc = new AdcConfig { Kind = Converters.IdealArchitecture.Name, Bits = hardware.Adc.Bits,
            Range = new AdcRange { Mode = AdcRangeMode.Exact } } };
        var (wq, scale) = WeightSlicing.Quantize(weightMatrix.detach(), core.WeightBits);
        using var nominal = new ProgrammedLayer(wq, scale, exact, 0);
        // Quantized per element on the samples and unfolded chunk by chunk: the same input vectors as
        // quantizing the unfolded rows (padding zeros stay zero), without every receptive field of the
        // calibration set at once (ResNet-20's first convolutions on 1,000 images: 0.45 GB a copy).
        var xs = InputEncoding.Quantize(x, input.Scale, core.InputBits, input.Signed, target);
        // input vectors per sample
        long L = vectors.RowsPerSample(x);
        // Tile by tile from the images (ConvGeometry.TileSums) when that gives the same sums: integers below 2^24,
        // exact in any order.
        var conv = vectors as ConvGeometry;
        bool convolve = conv is not null && IntegerSums(nominal, InputEncoding.QuantMax(core.InputBits, input.Signed));
        var range = hardware.Adc.Range;
        int groups = range.PerSlice ? core.Slices : 1;
        long limit = range.Method == RangeMethod.Mse ? 1L << 16 : 1L << 20;
        long T = nominal.Tiles, P = core.Phases(input.Signed), B = x.size(0) * L;
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
            columnIds[s] =
                Enumerable.Range(0, nominal.ConvertedColumns).Where(j => !range.PerSlice
                || nominal.ColumnSlices[j] == slice).Select(j => (long)j).ToArray();
            columns[s] = tensor(columnIds[s], device: x.device);
            long total = T * P * B * columnIds[s].Length;
            stride[s] = Math.Max(1, total / limit);
            // flat indices 0, stride, 2 stride, ...
            kept[s] = empty((total + stride[s] - 1) / stride[s], device: x.device);
        }
        for (long r0 = 0; r0 < B; r0 += chunk)
        {
            using var step = NewDisposeScope();
            long rows = Math.Min(chunk, B - r0);
            var images = xs.narrow(0, r0 / L, rows / L);
            // [T, P*rows, J], signal units (LSB 1); the same rows from a convolution as from the unfolded input
            // vectors.
            var p = (convolve ? AnalogMvm.ConvPartialSums(nominal, images, conv!, input.Signed)
                : AnalogMvm.PartialSums(nominal, vectors.ToRows(images), input.Signed)).contiguous();
            for (int s = 0; s < groups; s++)
            {
                // Every stride-th sum of the whole set [T, P*B, js] (flat index f), in that order:
                // gathered by position in p, [T, P*rows, J], rather than masking all of them.
                var sums = stride[s] == 1 ? p.index_select(2, columns[s]).flatten()
                    : p.view(-1).index_select(0,
                        ComputeTarget.On(KeptPositions(stride[s], T * P, B, r0, rows, columnIds[s], p.size(2)),
                        p.device));
                long n = sums.numel();
                kept[s].narrow(0, filled[s], n).copy_(sums);
                filled[s] += n;
            }
            NativeRuntime.CollectFinalizable();
        }
        for (int s = 0; s < groups; s++)
            if (filled[s] != kept[s].size(0)) throw new InvalidOperationException(
                $"{layer}: {filled[s]} calibration sums kept, expected {kept[s].size(0)}");
        return Enumerable.Range(0, groups)
            .Select(s => AdcScales.Calibrate(kept[s], range, hardware.Adc.Bits, nominal.Columns.Unsigned)).ToList();
    }

    /// <summary>
    /// Whether <paramref name="chip"/>'s partial sums of inputs up to <paramref name="inputMax"/> are
    /// integers below 2^24 (integer cells, no gains, offsets or noise), which float32 adds exactly in
    /// any order: then a convolution and a matmul of the unfolded inputs give the same sums.
    /// </summary>
    static bool IntegerSums(ProgrammedLayer chip, double inputMax)
    {
        if (chip.ReadVariance is not null || chip.ColumnOffset is not null) return false;
        var matrices =
            chip.Saturation is { } sat ? new[] { sat.Positive, sat.Negative } : new[] { chip.EffectiveByColumn };
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
    internal static unsafe Tensor KeptPositions(long stride, long tp, long B, long r0, long rows, long[] columns,
        long J)
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
}
