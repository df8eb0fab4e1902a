using ImcSharp.Config;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// What a layer hands the engine besides its chip: its name (for errors), hardware, how samples
/// become input vectors, the input quantizer, the bias, where it computes (whether the CPU kernels
/// may run), and an optional probe of the pre-ADC partial sums.
/// </summary>
public sealed record LayerWiring(string Name, LayerHardware Hardware, IInputVectors Vectors, QuantizedInput Input,
    Tensor? Bias, ComputeTarget Target, Action<Tensor>? Probe = null);

/// <summary>
/// The one place a layer's hardware path runs, in chunks of samples so its temporaries stay
/// cache-sized: inputs quantized per element, then the chip (<see cref="AnalogMvm"/>: digits,
/// array stage, ADCs, digital back end) or, without a chip, the quantized reference
/// (<see cref="QuantizedReference"/>); outputs rescaled by s_w s_x and the bias added.
/// </summary>
public static class LayerEngine
{
    /// <summary>
    /// Bytes of intermediate data per chunk of samples (quantized inputs or per-tile sums of a convolution).
    /// </summary>
    const long ChunkBytes = 12L << 20;
    /// <summary>Bytes of partial sums per pass of a matmul layer's chunk through the chip.</summary>
    const long PartialSumBytes = 24L << 20;

    /// <summary>
    /// The layer's output for samples <paramref name="x"/> on <paramref name="chip"/> (null: the
    /// quantized reference with weights <paramref name="wq"/>). A stack of K chips takes K blocks of
    /// samples, block k on chip k.
    /// </summary>
    public static Tensor Run(LayerWiring layer, ProgrammedLayer? chip, (Tensor Wq, double Scale) wq, Tensor x)
    {
        int chips = chip?.Chips ?? 1;
        if (x.size(0) % chips != 0)
            throw new ArgumentException(
                $"{layer.Name}: {x.size(0)} samples for {chips} chips: expected a block of samples per chip");
        long n = x.size(0) / chips;
        var core = layer.Hardware.Core;
        var geometry = layer.Vectors as ConvGeometry;
        // The quantized reference convolves too when float32 can sum its integers exactly.
        bool convolve = chip is not null
            || QuantizedReference.ChannelsPerConvolution(core, layer.Input.Signed, geometry) > 0;
        var conv = convolve ? geometry : null;
        // Per input vector: its K values (unfolded) and the P J partial sums of each tile (T of them without
        // unfolding).
        int phases = core.Phases(layer.Input.Signed);
        long inputs = chip?.Inputs ?? wq.Wq.size(1);                                              // K
        long width = conv is not null && chip is not null ? (long)phases * chip.ConvertedColumns * chip.Tiles
            : Math.Max(inputs, chip is null ? 1 : phases * chip.ConvertedColumns);
        long chunk = Math.Max(1, ChunkBytes / (4 * width * Math.Max(1, layer.Vectors.RowsPerSample(x))));
        // A stack of K chips runs as one batch while all its chips' samples fit one chunk (small layers,
        // where one chip alone leaves the cores idle between small operations); otherwise chip by chip.
        // Either way each chip is chunked as it is alone, so it draws the same noise.
        if (chips > 1 && chips * n > chunk)
        {
            var parts = chip!.Members.Select((m, k) => Chunks(layer, m, x.narrow(0, k * n, n), chunk, wq, conv));
            return cat(parts.ToArray(), 0);
        }
        return Chunks(layer, chip, x, chunk, wq, conv);
    }

    /// <summary>
    /// The hardware path on <paramref name="chip"/> (null: quantized reference) in chunks of <paramref name="chunk"/>
    /// samples per chip.
    /// </summary>
    static Tensor Chunks(LayerWiring layer, ProgrammedLayer? chip, Tensor x, long chunk, (Tensor Wq, double Scale) wq,
        ConvGeometry? conv)
    {
        int chips = chip?.Chips ?? 1;
        long n = x.size(0) / chips;
        var (core, input, bias) = (layer.Hardware.Core, layer.Input, layer.Bias);
        var outs = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            NativeRuntime.CollectFinalizable();
            // Free each chunk's temporaries before the next: memory stays cache-sized and is reused.
            using var scope = NewDisposeScope();
            var xs = chunk >= n ? x : ChipRows(x, chips, start, Math.Min(chunk, n - start));
            // Quantization acts per element: a convolution's images are quantized before their receptive fields.
            var values = conv is null ? layer.Vectors.ToRows(xs) : xs;
            var xq = InputEncoding.Quantize(values, input.Scale, core.InputBits, input.Signed, layer.Target);
            Tensor y;
            if (chip is null)
            {
                y = QuantizedReference.Product(xq, wq, input.Scale, core, input.Signed, conv);
                if (conv is not null)
                {
                    if (bias is not null) y.add_(bias.view(1, -1, 1, 1));
                    outs.Add(y.MoveToOuterDisposeScope());
                    continue;
                }
            }
            else
            {
                // Same rescaling as the quantized reference, so an exact core gives identical floats.
                y = conv is not null ? AnalogMvm.ForwardConv(chip, xq, conv, input.Signed, layer.Probe)
                    : Passes(layer, chip, xq);
                y.mul_((float)(chip.WeightScale * input.Scale));
            }
            if (bias is not null) y.add_(bias);
            outs.Add(layer.Vectors.FromRows(y, xs).MoveToOuterDisposeScope());
        }
        return JoinChipRows(outs, chips);
    }

    /// <summary>
    /// Input vectors xq [K rows, I] through the chip in passes of at most <see cref="PartialSumBytes"/>
    /// of partial sums per chip: a chip in a stack is split as it is alone, so it reads the same noise.
    /// </summary>
    static Tensor Passes(LayerWiring layer, ProgrammedLayer chip, Tensor xq)
    {
        int chips = chip.Chips;
        long rows = xq.size(0) / chips;
        long perRow = (long)chip.Tiles * layer.Hardware.Core.Phases(layer.Input.Signed) * chip.ConvertedColumns * 4;
        long pass = Math.Max(1, PartialSumBytes / Math.Max(1, perRow));
        if (pass >= rows) return AnalogMvm.Forward(chip, xq, layer.Input.Signed, layer.Probe);
        var outs = new List<Tensor>();
        for (long start = 0; start < rows; start += pass)
        {
            using var scope = NewDisposeScope();
            var part = ChipRows(xq, chips, start, Math.Min(pass, rows - start));
            outs.Add(AnalogMvm.Forward(chip, part, layer.Input.Signed, layer.Probe).MoveToOuterDisposeScope());
        }
        return JoinChipRows(outs, chips);
    }

    /// <summary>Rows [start, start + count) of every chip's block of a stack's rows [K B, ..]: [K count, ..].</summary>
    static Tensor ChipRows(Tensor x, int chips, long start, long count)
    {
        if (chips == 1) return x.narrow(0, start, count);
        var perChip = x.view(new long[] { chips, x.size(0) / chips }.Concat(x.Sizes()[1..]).ToArray());
        return perChip.narrow(1, start, count).reshape(new[] { chips * count }.Concat(x.Sizes()[1..]).ToArray());
    }

    /// <summary>
    /// Chunks of a stack's rows (each [K count_i, ..], see <see cref="ChipRows"/>) back to chip-by-chip order [K sum
    /// count_i, ..].
    /// </summary>
    static Tensor JoinChipRows(IReadOnlyList<Tensor> chunks, int chips)
    {
        if (chunks.Count == 1) return chunks[0];
        if (chips == 1) return cat(chunks.ToArray(), 0);
        var rest = chunks[0].Sizes()[1..];
        var perChip = chunks.Select(c => c.view(new long[] { chips, c.size(0) / chips }.Concat(rest).ToArray()));
        var joined = cat(perChip.ToArray(), 1);
        return joined.view(new long[] { -1 }.Concat(rest).ToArray());
    }
}
