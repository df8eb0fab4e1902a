using ImcSharp.Config;
using ImcSharp.Converters;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The analog matrix-vector product of one programmed layer, batched:
/// for tile t, input cycle c, sample b and signal column j = (n, s),
///   P[t, (c, b), j] = sum_r d_c(x_b)[t, r] * E[t, r, j]  (+ column offset, + read noise)
/// is the partial sum the ADC of column j sees; then
///   y[b, n] = sum_t sum_c 2^(c_bits c) sum_s 2^(b s) ADC(P[t, (c, b), (n, s)])
/// is the digital shift-and-add. All tiles, cycles and slices go through one batched matmul
/// (batch = tiles) and elementwise ADC work; the batch is chunked to bound memory.
/// With ideal cells and a lossless ADC, y equals the integer matmul Wq . xq exactly.
/// For training, the straight-through gate of each partial sum, g = ADC'(P) (see
/// <see cref="AdcSlope"/>), is averaged over cycles and slices with their significance as weights,
///   G[t, b, n] = sum_c sum_s |2^(c_bits c)| 2^(b s) g(P[t, (c, b), (n, s)]) / sum_c sum_s |2^(c_bits c)| 2^(b s),
/// so that dy/d(x_t W_t^T) = G: with g = 1 everywhere the gradient is the integer matmul's.
/// </summary>
public static class AnalogMvm
{
    /// <summary>Bytes of partial sums held at once; larger batches are processed in chunks.</summary>
    public static long ChunkBytes { get; set; } = 24L << 20;

    /// <summary>Integer-domain output (estimate of Wq . xq) [B, N] for integer inputs xq [B, K].</summary>
    public static Tensor Forward(ProgrammedLayer layer, Tensor xq, bool signedInputs, Action<Tensor>? probe = null) =>
        Forward(layer, xq, signedInputs, probe, null).Y;

    /// <summary>The output [B, N] and, when <paramref name="gradient"/> is set, the training gate G [T, B, N].</summary>
    public static (Tensor Y, Tensor? Gate) Forward(ProgrammedLayer layer, Tensor xq, bool signedInputs, Action<Tensor>? probe, AdcGradient? gradient)
    {
        var core = layer.Hardware.Core;
        long batch = xq.shape[0];
        long perSample = (long)layer.Tiles * core.Cycles * layer.SignalColumns * 4;
        long chunk = Math.Max(1, ChunkBytes / Math.Max(1, perSample));
        if (chunk >= batch) return ForwardChunk(layer, xq, signedInputs, probe, gradient);
        var outs = new List<Tensor>();
        var gates = new List<Tensor>();
        for (long start = 0; start < batch; start += chunk)
        {
            using var scope = NewDisposeScope();
            var (y, g) = ForwardChunk(layer, xq.narrow(0, start, Math.Min(chunk, batch - start)), signedInputs, probe, gradient);
            outs.Add(y.MoveToOuterDisposeScope());
            if (g is not null) gates.Add(g.MoveToOuterDisposeScope());
        }
        return (cat(outs, 0), gates.Count > 0 ? cat(gates, 1) : null);
    }

    static (Tensor, Tensor?) ForwardChunk(ProgrammedLayer layer, Tensor xq, bool signedInputs, Action<Tensor>? probe, AdcGradient? gradient)
    {
        var core = layer.Hardware.Core;
        int T = layer.Tiles, C = core.Cycles, S = layer.Slices, N = layer.Outputs;
        long B = xq.shape[0];
        var p = PartialSums(layer, xq, signedInputs);         // [T, C*B, N*S]
        probe?.Invoke(p);
        // The gate is read before conversion: an ADC may convert in place.
        var gate = gradient is { } mode ? Gate(layer, p, mode) : null;
        var y = layer.Adc.Convert(p);
        // Shift-and-add: slices (2^(b s), contiguous innermost), then cycles (2^(c k)), then tiles.
        var perSlice = S == 1 ? y.view(T, C, B, N) : y.view(T, C, B, N, S).matmul(WeightSlicing.SliceWeights(core));   // [T, C, B, N]
        var sum = C == 1
            ? (T == 1 ? perSlice.view(B, N) : perSlice.sum(new long[] { 0, 1 }))
            : perSlice.mul_(InputEncoding.CycleWeights(core).view(1, C, 1, 1)).sum(new long[] { 0, 1 });
        return (layer.LsbUnits == 1.0 ? sum : sum.mul_(layer.LsbUnits), gate);
    }

    static Tensor Gate(ProgrammedLayer layer, Tensor p, AdcGradient mode)
    {
        var core = layer.Hardware.Core;
        int T = layer.Tiles, C = core.Cycles, S = layer.Slices, N = layer.Outputs;
        long B = p.shape[1] / C;
        var (low, lsb) = layer.Adc.NominalScale;
        var g = AdcSlope.Lookup(layer.Adc.SlopeTable(mode), p, low / lsb);
        var ws = WeightSlicing.SliceWeights(core);
        var perSlice = S == 1 ? g.view(T, C, B, N) : g.view(T, C, B, N, S).matmul(ws / ws.sum());
        if (C == 1) return perSlice.view(T, B, N);
        var wc = InputEncoding.CycleWeights(core).abs();
        return perSlice.mul_((wc / wc.sum()).view(1, C, 1, 1)).sum(new long[] { 1 });
    }

    /// <summary>
    /// The analog partial sums [T, cycles*B, N*S] (sample index c*B + b, column j = n*S + s) in
    /// the ADC's LSBs (multiply by <see cref="ProgrammedLayer.LsbUnits"/> for signal units, then
    /// by the ADC context's unit for A or V), before conversion: what each column's ADC sees.
    /// </summary>
    public static Tensor PartialSums(ProgrammedLayer layer, Tensor xq, bool signedInputs)
    {
        var core = layer.Hardware.Core;
        int T = layer.Tiles, R = core.Rows, C = core.Cycles;
        long B = xq.shape[0];
        // Rows past K get no input and add nothing; a single tile skips them instead of multiplying zeros.
        int rows = T == 1 ? (int)xq.shape[1] : R;
        var padded = T == 1 ? xq : nn.functional.pad(xq, new long[] { 0, (long)T * R - xq.shape[1] });
        // [T, B, rows]: a strided view; one input cycle multiplies it as is (BLAS takes the row stride),
        // several cycles expand it into contiguous digits [T, C, B, rows].
        var perTile = T == 1 ? padded.unsqueeze(0) : padded.reshape(B, T, rows).permute(1, 0, 2);
        var x = C == 1 ? perTile : InputEncoding.Digits(perTile.contiguous(), core, signedInputs, cycleAxis: 1).reshape(T, C * B, rows);
        // Cell matrices are stored one row per column ([T, N*S, R]); the transposed view multiplies without a copy.
        Tensor Cells(Tensor byColumn) => (rows == R ? byColumn : byColumn.narrow(2, 0, rows)).transpose(1, 2);
        Tensor p;
        if (layer.Saturation is { } sat)
        {
            // Each column of a pair saturates on its own before the analog subtraction.
            var pos = x.bmm(Cells(sat.Positive)).clamp_(-sat.ClipUnits, sat.ClipUnits);
            var neg = x.bmm(Cells(sat.Negative)).clamp_(-sat.ClipUnits, sat.ClipUnits);
            p = pos.sub_(neg);
        }
        else
        {
            p = x.bmm(Cells(layer.EffectiveByColumn));
        }
        if (layer.ColumnOffset is { } off) p.add_(off.transpose(1, 2));
        if (layer.ReadVariance is { } rv)
        {
            // Independent per-read cell noise sums to a Gaussian of variance sum_r x_r^2 sigma_r^2.
            var sd = x.square().bmm(Cells(rv)).sqrt_();
            p.add_(sd.mul_(randn(p.shape, generator: layer.NoiseGenerator)));
        }
        return p;
    }
}
