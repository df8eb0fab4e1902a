using ImcSharp.Converters;
using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Nn.Aware;

/// <summary>
/// The ADCs' straight-through gate, what peripheral-aware training's gradient passes through
/// (<see cref="Surrogate"/>). For each partial sum the engine hands its probe, g = ADC'(P) (see
/// <see cref="AdcSlope"/>) is taken per signal column (the mean of its two columns' gates with
/// digital subtraction of a pair; the weight column's against a reference) and averaged over
/// phases and slices with their significance as weights,
///   G[t, b, n] = sum_c sum_s |w_c| 2^(b s) g(P[t, (c, b), (n, s)]) / sum_c sum_s |w_c| 2^(b s),
/// so that dy/d(x_t W_t^T) = G: with g = 1 everywhere the gradient is the integer matmul's.
/// </summary>
public static class AdcGate
{
    /// <summary>
    /// The gate G [T, B, N] of partial sums p [T, P*B, J] (see the class summary); in one pass on the CPU (<see
    /// cref="GateKernel"/>, the same numbers).
    /// </summary>
    public static Tensor Of(ProgrammedLayer layer, Tensor p, AdcGradient mode, bool signedInputs)
    {
        var core = layer.Hardware.Core;
        int T = layer.Tiles, P = core.Phases(signedInputs), S = layer.Slices, N = layer.Outputs;
        long B = p.size(1) / P;
        var table = layer.Adc.SlopeTable(mode);
        // Weights as float32 fractions of their sum, as torch divides the tensors.
        float[] Normalized(float[] w)
        {
            float sum = 0;
            foreach (var v in w) sum += Math.Abs(v);
            return w.Select(v => Math.Abs(v) / sum).ToArray();
        }
        var ws = Normalized(WeightSlicing.SliceWeightValues(core));
        var wc = Normalized(InputEncoding.PhaseWeightValues(core, signedInputs));
        if (layer.Target.UsesKernels && GateKernel.Supported && table.device_type == DeviceType.CPU
            && DenseKernel.Applies(p) && p.is_contiguous() && p.size(2) <= 1 << 14)
        {
            var lows = layer.Adc.LowCodes;
            var shift = lows.Length == 1 ? Enumerable.Repeat((float)(lows[0] - 1), (int)p.size(2)).ToArray()
                : lows.Select(v => (float)(v - 1)).ToArray();
            var columns = layer.Columns;
            return GateKernel.Gate(table, p, shift, P, N, S, columns.Unsigned, columns.SharedReference, ws, wc);
        }
        var g = AdcSlope.Lookup(table, p, layer.Adc.LowCodes, layer.Target);
        // Per signal column (a pair's mean, a weight column's against its reference).
        g = layer.Columns.SignalGate(g);
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
    /// Gathers the gates of a forward's chunks: its <see cref="Observe"/> is the engine's probe, and
    /// <see cref="Gate"/> the gate [T, rows, N] of every input vector, in order.
    /// </summary>
    public sealed class Collector(ProgrammedLayer chip, AdcGradient mode, bool signedInputs) : IDisposable
    {
        readonly List<Tensor> _gates = new();

        /// <summary>Takes one chunk's partial sums [T, phases B, J] and keeps their gate.</summary>
        public void Observe(Tensor partialSums) =>
            _gates.Add(Of(chip, partialSums, mode, signedInputs).DetachFromDisposeScope());

        /// <summary>The gates so far, joined along the rows (in the caller's dispose scope).</summary>
        public Tensor Gate => _gates.Count == 1 ? _gates[0].alias() : cat(_gates, 1);

        /// <summary>Frees the gates kept.</summary>
        public void Dispose()
        {
            foreach (var g in _gates) g.Dispose();
            _gates.Clear();
        }
    }
}
