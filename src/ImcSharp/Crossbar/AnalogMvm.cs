using ImcSharp.Config;
using ImcSharp.Converters;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The analog matrix-vector product of one programmed layer, batched:
/// for tile t, input phase c (a cycle, see <see cref="CoreConfig.Phases"/>), sample b and
/// converted column j,
///   P[t, (c, b), j] = sum_r d_c(x_b)[t, r] * E[t, r, j]  (+ column offset, + read noise)
/// is the partial sum the ADC of column j sees (in that column's LSBs); then
///   y[b, n] = sum_t sum_c w_c sum_s 2^(b s) LSB_s D(ADC(P))[t, (c, b), (n, s)]
/// is the digital shift-and-add, with D the subtraction: identity when it happened in analog,
/// positive minus negative column (or weight minus reference column) when it is digital; minus
/// y at zero input when the chip has an offset trim (<see cref="ProgrammedLayer.OutputOffset"/>).
/// All tiles, phases and columns go through one batched matmul (batch = tiles) and elementwise
/// ADC work; the batch is chunked to bound memory.
/// With ideal cells and a lossless ADC, y equals the integer matmul Wq . xq exactly.
/// For training, the straight-through gate of each partial sum, g = ADC'(P) (see
/// <see cref="AdcSlope"/>), is taken per signal column (the mean of its two columns' gates with
/// digital subtraction of a pair; the weight column's against a reference) and averaged over
/// phases and slices with their significance as weights,
///   G[t, b, n] = sum_c sum_s |w_c| 2^(b s) g(P[t, (c, b), (n, s)]) / sum_c sum_s |w_c| 2^(b s),
/// so that dy/d(x_t W_t^T) = G: with g = 1 everywhere the gradient is the integer matmul's.
/// </summary>
public static class AnalogMvm
{
    /// <summary>Bytes of partial sums held at once; larger batches are processed in chunks.</summary>
    const long ChunkBytes = 24L << 20;

    /// <summary>Integer-domain output (estimate of Wq . xq) [B, N] for integer inputs xq [B, K].</summary>
    public static Tensor Forward(ProgrammedLayer layer, Tensor xq, bool signedInputs, Action<Tensor>? probe = null) =>
        Forward(layer, xq, signedInputs, probe, null).Y;

    /// <summary>The output [B, N] and, when <paramref name="gradient"/> is set, the training gate G [T, B, N].
    /// A stack of K chips (<see cref="ProgrammedLayer.Stack"/>) takes and returns K B rows, chip by chip;
    /// it has no gate (its ADC bank refuses a gradient table).</summary>
    public static (Tensor Y, Tensor? Gate) Forward(ProgrammedLayer layer, Tensor xq, bool signedInputs, Action<Tensor>? probe, AdcGradient? gradient)
    {
        int K = layer.Chips;
        long batch = xq.size(0) / K;
        long perSample = (long)layer.Tiles * layer.Hardware.Core.Phases(signedInputs) * layer.ConvertedColumns * 4;
        // Chunks of samples per chip: a chip in a stack is chunked as it is alone, so it reads the same noise.
        long chunk = Math.Max(1, ChunkBytes / Math.Max(1, perSample));
        if (chunk >= batch) return ForwardChunk(layer, xq, signedInputs, probe, gradient);
        var outs = new List<Tensor>();
        var gates = new List<Tensor>();
        for (long start = 0; start < batch; start += chunk)
        {
            using var scope = NewDisposeScope();
            var (y, g) = ForwardChunk(layer, ChipRows(xq, K, start, Math.Min(chunk, batch - start)), signedInputs, probe, gradient);
            outs.Add(y.MoveToOuterDisposeScope());
            if (g is not null) gates.Add(g.MoveToOuterDisposeScope());
        }
        return (JoinChipRows(outs, K), gates.Count > 0 ? cat(gates, 1) : null);
    }

    /// <summary>Rows [start, start + count) of every chip's block of a stack's rows [K B, ..]: [K count, ..].</summary>
    public static Tensor ChipRows(Tensor x, int chips, long start, long count)
    {
        if (chips == 1) return x.narrow(0, start, count);
        var perChip = x.view(new long[] { chips, x.size(0) / chips }.Concat(x.Sizes()[1..]).ToArray());
        return perChip.narrow(1, start, count).reshape(new[] { chips * count }.Concat(x.Sizes()[1..]).ToArray());
    }

    /// <summary>Chunks of a stack's rows (each [K count_i, ..], see <see cref="ChipRows"/>) back to chip-by-chip order [K sum count_i, ..].</summary>
    public static Tensor JoinChipRows(IReadOnlyList<Tensor> chunks, int chips)
    {
        if (chunks.Count == 1) return chunks[0];
        if (chips == 1) return cat(chunks.ToArray(), 0);
        var rest = chunks[0].Sizes()[1..];
        var joined = cat(chunks.Select(c => c.view(new long[] { chips, c.size(0) / chips }.Concat(rest).ToArray())).ToArray(), 1);
        return joined.view(new long[] { -1 }.Concat(rest).ToArray());
    }

    static (Tensor, Tensor?) ForwardChunk(ProgrammedLayer layer, Tensor xq, bool signedInputs, Action<Tensor>? probe, AdcGradient? gradient) =>
        Convert(layer, PartialSums(layer, xq, signedInputs), xq.size(0) / layer.Chips, signedInputs, probe, gradient);

    /// <summary>
    /// A convolution's output [B L, N] (rows: sample, then output pixel) and training gate for
    /// integer input images <paramref name="xq"/> [B, C, H, W]: the same model as <see cref="Forward(ProgrammedLayer, Tensor, bool, Action{Tensor}, AdcGradient?)"/>
    /// on the unfolded input vectors, with the array stage's convolution (<see cref="IArrayStage.ConvPartialSums"/>).
    /// </summary>
    public static (Tensor Y, Tensor? Gate) ForwardConv(ProgrammedLayer layer, Tensor xq, ConvGeometry conv, bool signedInputs, Action<Tensor>? probe, AdcGradient? gradient) =>
        Convert(layer, ConvPartialSums(layer, xq, conv, signedInputs), xq.size(0) / layer.Chips * conv.Pixels(xq), signedInputs, probe, gradient);

    /// <summary>
    /// A convolution's partial sums [K T, P*B*L, J] for integer input images <paramref name="xq"/>
    /// [K B, C, H, W]: the rows <see cref="PartialSums"/> gives for the unfolded input vectors (phase,
    /// then sample, then output pixel), from the array stage's convolution.
    /// </summary>
    public static Tensor ConvPartialSums(ProgrammedLayer layer, Tensor xq, ConvGeometry conv, bool signedInputs)
    {
        var core = layer.Hardware.Core;
        int P = core.Phases(signedInputs), K = layer.Chips;
        long B = xq.size(0) / K;
        // Digits per phase as images [P*B, C, H, W]: phase-major, like the rows of the unfolded path.
        Tensor Digits(Tensor x) => InputEncoding.PhaseImages(x, core, signedInputs, layer.Target.UsesKernels);
        // A stack: each chip convolves its own images with its own tile kernels; the partial sums go on as one batch.
        var stage = IArrayStage.Of(layer.Hardware.Array);
        return K == 1 ? stage.ConvPartialSums(layer, Digits(xq), conv)
            : cat(layer.Members.Select((chip, k) => stage.ConvPartialSums(chip, Digits(xq.narrow(0, k * B, B)), conv)).ToArray(), 0);
    }

    /// <summary>Partial sums [T, P*B, J] through the ADCs, the subtraction and the shift-and-add: [B, N], and the gate.
    /// A stack's sums [K T, P*B, J] give [K B, N].</summary>
    static (Tensor, Tensor?) Convert(ProgrammedLayer layer, Tensor p, long B, bool signedInputs, Action<Tensor>? probe, AdcGradient? gradient)
    {
        var core = layer.Hardware.Core;
        int P = core.Phases(signedInputs);
        probe?.Invoke(p);
        // The gate is read before conversion: an ADC may convert in place.
        var gate = gradient is { } mode ? Gate(layer, p, mode, signedInputs) : null;
        return (DigitalBackEnd.Output(layer, p, P, B, InputEncoding.PhaseWeightValues(core, signedInputs)), gate);
    }

    /// <summary>The gate G [T, B, N] of partial sums p [T, P*B, J] (see the class summary); in one pass on the CPU (<see cref="GateKernel"/>, the same numbers).</summary>
    static Tensor Gate(ProgrammedLayer layer, Tensor p, AdcGradient mode, bool signedInputs)
    {
        var core = layer.Hardware.Core;
        int T = layer.Tiles, P = core.Phases(signedInputs), S = layer.Slices, N = layer.Outputs;
        long B = p.size(1) / P;
        var table = layer.Adc.SlopeTable(mode);
        // Weights as float32 fractions of their sum, as torch divides the tensors.
        float[] Normalized(float[] w) { float sum = 0; foreach (var v in w) sum += Math.Abs(v); return w.Select(v => Math.Abs(v) / sum).ToArray(); }
        var ws = Normalized(WeightSlicing.SliceWeightValues(core));
        var wc = Normalized(InputEncoding.PhaseWeightValues(core, signedInputs));
        if (layer.Target.UsesKernels && GateKernel.Supported && table.device_type == DeviceType.CPU && DenseKernel.Applies(p) && p.is_contiguous() && p.size(2) <= 1 << 14)
        {
            var lows = layer.Adc.LowCodes;
            var shift = lows.Length == 1 ? Enumerable.Repeat((float)(lows[0] - 1), (int)p.size(2)).ToArray() : lows.Select(v => (float)(v - 1)).ToArray();
            return GateKernel.Gate(table, p, shift, P, N, S, layer.DigitalSubtraction, layer.SharedReference, ws, wc);
        }
        var g = AdcSlope.Lookup(table, p, layer.Adc.LowCodes, layer.Target.UsesKernels);
        if (layer.DigitalSubtraction)
        {
            int ns = layer.SignalColumns;
            var pos = g.narrow(-1, 0, ns);
            // A pair's output moves with both columns' codes; a reference column holds no weight.
            g = layer.SharedReference ? pos : pos.add(g.narrow(-1, ns, ns)).mul_(0.5);
        }
        Tensor perSlice;
        if (S == 1) perSlice = g.reshape(T, P, B, N);
        else
        {
            // Slices added one after another, each weighted by its share of 2^(b s).
            var slices = g.reshape(T, P, B, N, S);
            perSlice = slices.select(-1, 0).mul(ws[0]);
            for (int s = 1; s < S; s++) perSlice = perSlice.add_(slices.select(-1, s).mul(ws[s]));
        }
        if (P == 1) return perSlice.view(T, B, N);
        return DigitalBackEnd.SumInOrder(perSlice.mul_(tensor(wc, device: p.device).view(1, P, 1, 1)));
    }

    /// <summary>
    /// The analog partial sums [T, phases*B, J] (sample index c*B + b, converted column j, see
    /// <see cref="ProgrammedLayer"/>) in each column's ADC LSBs (multiply by the slice's
    /// <see cref="SliceRange.Lsb"/> for signal units, then by <see cref="ProgrammedLayer.SignalUnit"/>
    /// for A or V), before conversion: what each column's ADC sees.
    /// </summary>
    public static Tensor PartialSums(ProgrammedLayer layer, Tensor xq, bool signedInputs)
    {
        var core = layer.Hardware.Core;
        int KT = layer.Chips * layer.Tiles, C = core.Cycles, P = core.Phases(signedInputs);
        long B = xq.size(0) / layer.Chips;
        // [K T, B, rows]: a strided view for one chip; one input phase multiplies it as is (BLAS takes the
        // row stride), several phases expand it into contiguous digits [K T, P, B, rows].
        // The CPU kernel makes the digits of each tile's rows in one pass (see DigitsKernel).
        Tensor x;
        if (P > 1 && layer.Target.UsesKernels && DigitsKernel.Applies(xq) && xq.is_contiguous())
            x = DigitsKernel.TileRows(xq, layer.Chips, layer.Tiles, core.Rows, core, signedInputs);
        else
        {
            var perTile = InputEncoding.TileRows(layer, xq);
            int rows = (int)perTile.size(2);
            if (P == 1) x = perTile;
            else
            {
                var digits = C == 1 ? perTile.unsqueeze(1) : InputEncoding.Digits(perTile.contiguous(), core, signedInputs, cycleAxis: 1);
                x = InputEncoding.PhaseDigits(digits, core, signedInputs).reshape(KT, P * B, rows);
            }
        }
        var stage = IArrayStage.Of(layer.Hardware.Array);
        if (layer.Chips == 1 || stage.TakesStacks) return stage.PartialSums(layer, x);
        int T = layer.Tiles;
        return cat(layer.Members.Select((chip, k) => stage.PartialSums(chip, x.narrow(0, (long)k * T, T))).ToArray(), 0);
    }
}
