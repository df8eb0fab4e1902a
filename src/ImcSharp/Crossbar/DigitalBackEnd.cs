using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The digital shift-and-add of several weight slices in the integer domain. When the ADCs return
/// integer levels (<see cref="Converters.IAdc.IntegerLevels"/>) and every slice has the same LSB,
/// each tile's output is an integer,
///   z[t, b, n] = sum_c w_c sum_s 2^(b s) D(code)[t, (c, b), (n, s)]   (w_c the phase weights, D the subtraction),
/// and when its bound (largest |D| x sum_s 2^(b s) x sum_c |w_c|) is below 2^24 float32 holds every
/// partial sum exactly, in any order. Then
///   y[b, n] = LSB (z[0, b, n] + z[1, b, n] + ... + z[T-1, b, n])
/// with the tiles added one after another and one rounding for the LSB. Any order of the inner sums
/// gives the same numbers, so a one-pass CPU kernel (subtraction, slices and phases of every tile,
/// reading the codes once) and torch's operations agree bit for bit (<c>Crossbar/ShiftAndAddTests</c>).
/// </summary>
public static unsafe class DigitalBackEnd
{
    /// <summary>
    /// Partial sums [K T, P B, J] through the ADCs, the subtraction D and the shift-and-add to the
    /// outputs [K B, N] (integer domain), minus the chip's output offset when it is trimmed:
    ///   y[b, n] = sum_t alpha_t sum_c w_c sum_s 2^(b s) LSB_s D(ADC(P))[t, (c, b), (n, s)] - y0[n],
    /// alpha_t the tile's drift-compensation scale (<see cref="ProgrammedLayer.TileScale"/>; 1 without), then
    /// through the chip's gain registers when it has them, g[n] y[b, n] + o[n] (<see cref="OutputGainCalibration"/>).
    /// In the integer form when it applies (<see cref="IntegerFormApplies"/>), else in float32 with
    /// the tiles added one after another.
    /// </summary>
    public static Tensor Output(ProgrammedLayer layer, Tensor p, int P, long B, float[] phaseWeights)
    {
        int K = layer.Chips, T = layer.Tiles, KT = K * T, S = layer.Slices, N = layer.Outputs;
        Tensor sum;
        // Several slices of integer codes: each tile's sum is an exact integer (the integer form converts too).
        // A tile scale (drift compensation) makes the tiles' sums non-integers: the float form scales each tile.
        if (layer.TileScale is null && IntegerFormApplies(layer, phaseWeights)) sum =
            IntegerForm(layer, p, P, B, phaseWeights).view(K, B, N);
        else
        {
            var y = layer.Columns.Subtract(layer.Adc.Convert(p));        // [K T, P*B, N*S]
            // Shift-and-add: slices (2^(b s) LSB_s, contiguous innermost), then phases, then tiles (of each chip).
            // [K T, P, B, N]
            var perSlice = S == 1 ? y.view(KT, P, B, N) : y.view(KT, P, B, N, S).matmul(layer.SliceWeights);
            if (P > 1) perSlice = perSlice.mul_(tensor(phaseWeights, device: p.device).view(1, P, 1, 1));
            if (layer.TileScale is { } alpha) perSlice = perSlice.mul_(alpha.view(KT, 1, 1, 1));
            sum = SumInOrder(perSlice.view(K, T * P, B, N));
            double lsb = layer.Ranges[0].Lsb;
            if (S == 1 && lsb != 1.0) sum = sum.mul_(lsb);
        }
        if (layer.OutputOffset is { } trim) sum = sum.sub_(K == 1 ? trim : trim.unsqueeze(1));
        if (layer.OutputGain is { } r) sum = sum.mul_(r.Gain.view(K, 1, N)).add_(r.Offset.view(K, 1, N));
        return sum.view(K * B, N);
    }


    /// <summary>
    /// x [K, n, ..] summed over its second axis one term after another, x[:, 0] + x[:, 1] + ..., as an
    /// adder chain does: one pass per term and no reduction kernel (torch's reduction over an outer
    /// axis ran 2-3x slower); the first term itself when n = 1.
    /// </summary>
    public static Tensor SumInOrder(Tensor x)
    {
        long n = x.size(1);
        if (n == 1) return x.select(1, 0);
        var sum = x.select(1, 0).add(x.select(1, 1));
        for (long i = 2; i < n; i++) sum = sum.add_(x.select(1, i));
        return sum;
    }


    /// <summary>Integers below this are exact in float32.</summary>
    const double ExactBelow = 1 << 24;

    /// <summary>
    /// Whether the integer form applies to this layer with phase weights <paramref name="phaseWeights"/>: several
    /// slices, integer levels, one LSB, sums below 2^24.
    /// </summary>
    public static bool IntegerFormApplies(ProgrammedLayer layer, float[] phaseWeights)
    {
        int S = layer.Slices;
        if (S == 1 || !layer.Adc.IntegerLevels || layer.Ranges.Any(r => r.Lsb != layer.Ranges[0].Lsb)) return false;
        double top = Math.Pow(2, layer.Adc.Bits) - 1;
        var lows = layer.Adc.LowCodes.Select(v => Math.Round(v)).ToArray();
        double lowest = lows.Min(), highest = lows.Max() + top;
        // A difference of two columns' levels spans at most the levels' whole range; a level itself, its magnitude.
        double code = layer.Columns.Unsigned ? highest - lowest : Math.Max(Math.Abs(lowest), Math.Abs(highest));
        double slices = Enumerable.Range(0, S).Sum(s => Math.Pow(2, layer.Hardware.Core.BitsPerCell * s));
        return code * slices * phaseWeights.Sum(w => Math.Abs((double)w)) < ExactBelow;
    }

    /// <summary>
    /// Partial sums [K T, P B, J] through the layer's ADCs to the output [K B, N] (see the class
    /// summary), with torch's operations or, where the chip's target uses kernels, in one pass
    /// that also converts when the ADCs round uniformly (<see cref="Converters.IAdc.UniformRounding"/>).
    /// </summary>
    public static Tensor IntegerForm(ProgrammedLayer layer, Tensor sums, int P, long B, float[] phaseWeights)
    {
        int K = layer.Chips, T = layer.Tiles, N = layer.Outputs, S = layer.Slices;
        double lsb = layer.Ranges[0].Lsb;
        if (layer.Target.UsesKernels && DenseKernel.Applies(sums) && sums.is_contiguous()
            && (long)N * S <= MaxSignalColumns)
        {
            var rounding = layer.Adc.UniformRounding;
            return Kernel(layer, rounding is null ? layer.Adc.Convert(sums) : sums, P, B, phaseWeights, (float)lsb,
                rounding);
        }
        var codes = layer.Adc.Convert(sums);
        var d = layer.Columns.Subtract(codes).view(K * T, P, B, N, S);
        // [K T, P, B, N], exact
        var perTile = d.matmul(WeightSlicing.SliceWeights(layer.Hardware.Core, codes.device));
        if (P > 1) perTile =
            perTile.mul_(tensor(phaseWeights, device: codes.device).view(1, P, 1, 1)).sum(new long[] { 1 });
        var sum = SumInOrder(perTile.view(K, T, B, N));
        if (lsb != 1.0) sum = sum.mul_(lsb);
        return sum.reshape(K * B, N);
    }

    /// <summary>Signal columns a kernel task sums in a buffer on its stack.</summary>
    const int MaxSignalColumns = 1 << 14;

    /// <param name="rounding">When set, <paramref name="codes"/> are the sums before conversion, rounded here as
    /// <see cref="Converters.IdealAdc"/> does.</param>
    static unsafe Tensor Kernel(ProgrammedLayer layer, Tensor codes, int P, long B, float[] phaseWeights, float lsb,
        (float Low, float High)? rounding)
    {
        int K = layer.Chips, T = layer.Tiles, N = layer.Outputs, S = layer.Slices, NS = layer.SignalColumns, J =
            layer.ConvertedColumns;
        var result = empty(new long[] { K * B, N });
        float* y = (float*)NativeData.Pointer(codes), output = (float*)NativeData.Pointer(result);
        var slice = WeightSlicing.SliceWeightValues(layer.Hardware.Core);
        var phase = phaseWeights;
        bool digital = layer.Columns.Unsigned, shared = layer.Columns.SharedReference;
        // Tasks of about a million codes each.
        long samples = K * B, perTask = Math.Max(1, (1L << 20) / ((long)T * P * J));
        TorchThreads.For((samples + perTask - 1) / perTask, Math.Max(1, get_num_threads()), task =>
        {
            float* acc = stackalloc float[NS];
            for (long i = task * perTask, end = Math.Min(samples, i + perTask); i < end; i++)
            {
                long k = i / B, b = i % B;
                float* outRow = output + i * N;
                for (int t = 0; t < T; t++)
                {
                    // The phases' rows of this tile and sample: (k T + t) P B + c B + b.
                    float* first = y + (((k * T + t) * P) * B + b) * J;
                    if (rounding is { } r) Accumulate(new Rounded(r.Low, r.High), acc, first, B * J, P, phase, NS, S,
                        digital, shared);
                    else Accumulate(new Converted(), acc, first, B * J, P, phase, NS, S, digital, shared);
                    int n = 0;
                    if (S == 2 && Avx2.IsSupported)
                    {
                        // Two slices: eight outputs at a time from their interleaved entries, the same operations.
                        var s0 = Vector256.Create(slice[0]);
                        var s1 = Vector256.Create(slice[1]);
                        for (; n + 8 <= N; n += 8)
                        {
                            var (low, high) = DenseKernel.Deinterleave(acc + 2 * n);
                            var z = Vector256<float>.Zero + s0 * low + s1 * high;
                            (t == 0 ? z : Vector256.Load(outRow + n) + z).Store(outRow + n);
                        }
                    }
                    for (; n < N; n++)
                    {
                        float z = 0;
                        for (int s = 0; s < S; s++) z += slice[s] * acc[n * S + s];
                        outRow[n] = t == 0 ? z : outRow[n] + z;
                    }
                }
                if (lsb != 1f)
                    for (int n = 0; n < N; n++) outRow[n] *= lsb;
            }
        });
        return result;
    }

    /// <summary>How a kernel reads codes: as they are, or as the sums an ideal ADC rounds.</summary>
    interface ICodes
    {
        Vector256<float> Load(float* x);
        float Load(float x);
    }

    readonly struct Converted : ICodes
    {
        public Vector256<float> Load(float* x) => Vector256.Load(x);
        public float Load(float x) => x;
    }

    /// <summary>
    /// Sums converted by the ideal ADC's own operations
    /// (<see cref="Converters.RoundClampKernel.Code(float, float, float)"/>), so the same codes.
    /// </summary>
    readonly struct Rounded(float lo, float hi) : ICodes
    {
        readonly Vector256<float> _low = Vector256.Create(lo), _high = Vector256.Create(hi);
        public Vector256<float> Load(float* x) => Converters.RoundClampKernel.Code(Vector256.Load(x), _low, _high);
        public float Load(float x) => Converters.RoundClampKernel.Code(x, lo, hi);
    }

    /// <summary>
    /// acc[j] = sum_c w_c D(row_c)[j] over the NS signal columns of the P rows row_c = first + c
    /// stride (J codes each), 32 or 8 columns at a time in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Accumulate<TCodes>(TCodes codes, float* acc, float* first, long stride, int P, float[] w, int NS, int S,
        bool digital, bool shared)
        where TCodes : struct, ICodes
    {
        int j = 0;
        if (!shared)
        {
            // Digital subtraction: the negative columns follow the NS signal columns.
            long neg = digital ? NS : 0;
            for (; j + 32 <= NS; j += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int c = 0; c < P; c++)
                {
                    float* row = first + c * stride + j;
                    var wv = Vector256.Create(w[c]);
                    if (digital)
                    {
                        a0 += wv * (codes.Load(row) - codes.Load(row + neg));
                        a1 += wv * (codes.Load(row + 8) - codes.Load(row + neg + 8));
                        a2 += wv * (codes.Load(row + 16) - codes.Load(row + neg + 16));
                        a3 += wv * (codes.Load(row + 24) - codes.Load(row + neg + 24));
                    }
                    else
                    {
                        a0 += wv * codes.Load(row);
                        a1 += wv * codes.Load(row + 8);
                        a2 += wv * codes.Load(row + 16);
                        a3 += wv * codes.Load(row + 24);
                    }
                }
                a0.Store(acc + j);
                a1.Store(acc + j + 8);
                a2.Store(acc + j + 16);
                a3.Store(acc + j + 24);
            }
            for (; j + 8 <= NS; j += 8)
            {
                Vector256<float> a0 = default;
                for (int c = 0; c < P; c++)
                {
                    float* row = first + c * stride + j;
                    a0 += Vector256.Create(w[c])
                        * (digital ? codes.Load(row) - codes.Load(row + neg) : codes.Load(row));
                }
                a0.Store(acc + j);
            }
        }
        for (; j < NS; j++)
        {
            float sum = 0;
            for (int c = 0; c < P; c++)
            {
                float* row = first + c * stride;
                sum += w[c] * (!digital ? codes.Load(row[j])
                    : codes.Load(row[j]) - codes.Load(row[NS + (shared ? j % S : j)]));
            }
            acc[j] = sum;
        }
    }
}
