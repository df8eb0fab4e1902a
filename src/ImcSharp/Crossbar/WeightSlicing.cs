using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Integer weights split into cell digits and tiled over array rows.
/// <see cref="Positive"/> and <see cref="Negative"/> are [T, R, N*S] digit tensors: tile t holds
/// inputs t*R .. t*R+R-1 (zero-padded past K), signal column j = n*S + s holds slice s of output n.
/// Differential: Wq = Wp - Wn with Wp = max(Wq,0), Wn = max(-Wq,0), each sliced in base 2^b.
/// Offset: u = Wq + 2^(wb-1) is sliced; the reference column holds the digits of 2^(wb-1)
/// (only the top slice is non-zero: 2^(b-1)), so u - ref = Wq.
/// </summary>
public sealed record SlicedWeights(Tensor Positive, Tensor Negative, int Tiles, int Rows, int Outputs, int Slices)
{
    /// <summary>
    /// Offset mapping: <see cref="Negative"/> is one reference column per slice, [T, R, S], shared by all outputs.
    /// </summary>
    public bool SharedReference { get; init; }
    /// <summary>Signal columns N S.</summary>
    public int SignalColumns => Outputs * Slices;
}

/// <summary>
/// Weights as a core holds them: symmetric integer quantization, then base-2^b digits (slices) on
/// the cells of a differential pair or beside an offset reference.
/// </summary>
public static class WeightSlicing
{
    /// <summary>
    /// Symmetric per-layer quantization: Wq = clamp(round(W / s), -Q, Q), Q = 2^(wb-1)-1, s = max|W| / Q
    /// (1 for all-zero weights); s is not finite when a weight is not (NaN or infinite).
    /// </summary>
    public static (Tensor Wq, double Scale) Quantize(Tensor w, int weightBits)
    {
        double q = QuantMax(weightBits), scale = Scale(w.abs().max().item<float>(), weightBits);
        var wq = (w / scale).round_().clamp_(-q, q);
        return (wq, scale);
    }

    static double QuantMax(int weightBits) => (1 << (weightBits - 1)) - 1;

    static double Scale(double maxAbs, int weightBits) =>
        maxAbs > 0 || double.IsNaN(maxAbs) ? maxAbs / QuantMax(weightBits) : 1.0;

    /// <summary>
    /// The weights' quantization residual Quantize(W) s - W (float32, no gradient): what the training
    /// surrogate adds to its weights so their value is the quantized one while their gradient stays
    /// the identity (see <c>Nn.Aware.StraightThrough.Weights</c>). Where <paramref name="target"/> uses
    /// kernels: max|W| and the residual in a pass each on the CPU (<see cref="QuantizeKernel"/>, the same numbers)
    /// where it
    /// applies; otherwise torch's operations.
    /// </summary>
    public static Tensor QuantizationResidual(Tensor w, int weightBits, ComputeTarget? target = null)
    {
        using var g = no_grad();
        if (target?.UsesKernels == true && DenseKernel.Applies(w))
        {
            float q = (float)QuantMax(weightBits), scale = (float)Scale(QuantizeKernel.MaxAbs(w), weightBits);
            return QuantizeKernel.Residual(w, scale, -q, q);
        }
        var (wq, ws) = Quantize(w, weightBits);
        return wq.mul_(ws).sub_(w);
    }

    /// <summary>Digit s (0-based, least significant first) of non-negative integer tensor v in base 2^b.</summary>
    public static Tensor Digit(Tensor v, int s, int b) => v.div(Math.Pow(2, b * s)).floor_().remainder_(1 << b);

    /// <summary>
    /// Slices integer weights Wq [N, K] for a core; see <see cref="SlicedWeights"/>. The digits are
    /// made in one vectorized pass over the weights (integers, so exactly <see cref="Digit"/>'s): a training
    /// step reprograms every layer, and the tensor operations cost more than the arithmetic. The
    /// loop writes straight into the native tensors: no managed copy of a layer per step (large
    /// managed allocations start garbage collections that race TorchSharp's temporaries).
    /// </summary>
    public static unsafe SlicedWeights Slice(Tensor wq, CoreConfig core)
    {
        int n = (int)wq.size(0), k = (int)wq.size(1);
        int r = core.Rows, b = core.BitsPerCell, S = core.Slices, mask = (1 << b) - 1;
        int tiles = (k + r - 1) / r, columns = n * S;
        int limit = 1 << (core.WeightBits - 1);
        // [T R, N S]: row = input (rows past K hold weight 0: no input reaches them), column n S + s.
        // Sliced from the transposed weights [K, N], so every loop reads and writes in memory order.
        using var transposed = wq.to_type(ScalarType.Float32).cpu().t().contiguous();
        float* wt = (float*)NativeData.Pointer(transposed);
        for (long i = 0; i < (long)n * k; i++)
            if (!(Math.Abs(wt[i]) < limit)) throw new ArgumentException(
                $"weight slicing: integer weights of {core.WeightBits} bits expected, got {wt[i]}");
        var positive = empty(new long[] { tiles, r, columns });
        long padded = ((long)tiles * r - k) * columns;
        float* pos = (float*)NativeData.Pointer(positive);
        if (core.Mapping == Config.WeightMapping.Differential)
        {
            // A row of weights at a time, 8 weights per step: a scalar loop took 0.3 ms on a 120x400
            // layer (about 6 ns a weight, for reasons in the memory pipeline), this one 0.05 ms.
            var negative = empty(new long[] { tiles, r, columns });
            float* neg = (float*)NativeData.Pointer(negative);
            for (int i = 0; i < k; i++)
                SliceRow(wt + (long)i * n, pos + (long)i * columns, neg + (long)i * columns, n, S, b);
            new Span<float>(pos + (long)k * columns, checked((int)padded)).Clear();
            new Span<float>(neg + (long)k * columns, checked((int)padded)).Clear();
            return new SlicedWeights(positive, negative, tiles, r, n, S);
        }
        // Offset: u = Wq + 2^(wb-1) is sliced; padded rows are weight 0 too, so u = offset there.
        int offset = 1 << (core.WeightBits - 1);
        for (int i = 0; i < tiles * r; i++)
            for (int o = 0; o < n; o++)
                for (int sl = 0, m = (i < k ? (int)wt[(long)i * n + o] : 0) + offset; sl < S; sl++, m >>= b)
                    pos[(long)i * columns + o * S + sl] = m & mask;
        var reference = empty(new long[] { tiles, r, S });
        float* refs = (float*)NativeData.Pointer(reference);
        for (int i = 0; i < tiles * r; i++)
            for (int sl = 0; sl < S; sl++) refs[(long)i * S + sl] = (offset >> (b * sl)) & mask;
        return new SlicedWeights(positive, reference, tiles, r, n, S) { SharedReference = true };
    }

    /// <summary>
    /// One row of n integer weights to the digits of their positive and negative parts, base 2^b:
    /// slice s of weight o at pos[o S + s] and neg[o S + s].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void SliceRow(float* w, float* pos, float* neg, int n, int S, int b)
    {
        var mask = Vector256.Create((1 << b) - 1);
        float* digits = stackalloc float[2 * 8 * S];     // [side, slice, lane] of 8 weights
        int o = 0;
        for (; o + 8 <= n; o += 8)
        {
            var v = Vector256.ConvertToInt32(Vector256.Load(w + o));
            var p = Vector256.Max(v, Vector256<int>.Zero);
            var m = Vector256.Max(-v, Vector256<int>.Zero);
            if (S == 1)
            {
                Vector256.ConvertToSingle(p & mask).Store(pos + o);
                Vector256.ConvertToSingle(m & mask).Store(neg + o);
                continue;
            }
            for (int sl = 0; sl < S; sl++, p = Vector256.ShiftRightLogical(p, b), m = Vector256.ShiftRightLogical(m, b))
            {
                Vector256.ConvertToSingle(p & mask).Store(digits + sl * 8);
                Vector256.ConvertToSingle(m & mask).Store(digits + (S + sl) * 8);
            }
            for (int l = 0; l < 8; l++)
                for (int sl = 0; sl < S; sl++)
                {
                    pos[(o + l) * S + sl] = digits[sl * 8 + l];
                    neg[(o + l) * S + sl] = digits[(S + sl) * 8 + l];
                }
        }
        for (; o < n; o++)
        {
            int v = (int)w[o], p = Math.Max(v, 0), m = Math.Max(-v, 0);
            for (int sl = 0; sl < S; sl++, p >>= b, m >>= b)
            {
                pos[o * S + sl] = p & ((1 << b) - 1);
                neg[o * S + sl] = m & ((1 << b) - 1);
            }
        }
    }

    /// <summary>Digital weight of slice s: 2^(b s), as a [S] tensor.</summary>
    public static Tensor SliceWeights(CoreConfig core, Device? device = null) =>
        tensor(SliceWeightValues(core), device: device);

    /// <summary>The slice weights of <see cref="SliceWeights"/> as numbers.</summary>
    public static float[] SliceWeightValues(CoreConfig core) =>
        Enumerable.Range(0, core.Slices).Select(s => (float)Math.Pow(2, core.BitsPerCell * s)).ToArray();
}
