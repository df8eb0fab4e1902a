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
    /// <summary>Offset mapping: <see cref="Negative"/> is one reference column per slice, [T, R, S], shared by all outputs.</summary>
    public bool SharedReference { get; init; }
    public int SignalColumns => Outputs * Slices;
}

public static class WeightSlicing
{
    /// <summary>Symmetric per-layer quantization: Wq = clamp(round(W / s), -Q, Q), Q = 2^(wb-1)-1, s = max|W| / Q.</summary>
    public static (Tensor Wq, double Scale) Quantize(Tensor w, int weightBits)
    {
        double q = (1 << (weightBits - 1)) - 1;
        double maxAbs = w.abs().max().item<float>();
        double scale = maxAbs > 0 ? maxAbs / q : 1.0;
        var wq = (w / scale).round_().clamp_(-q, q);
        return (wq, scale);
    }

    /// <summary>Digit s (0-based, least significant first) of non-negative integer tensor v in base 2^b.</summary>
    public static Tensor Digit(Tensor v, int s, int b) => v.div(Math.Pow(2, b * s)).floor_().remainder_(1 << b);

    /// <summary>
    /// Slices integer weights Wq [N, K] for a core; see <see cref="SlicedWeights"/>. The digits are
    /// made in one loop over the weights (integers, so exactly <see cref="Digit"/>'s): a training
    /// step reprograms every layer, and the tensor operations cost more than the arithmetic. The
    /// loop writes straight into the native tensors: no managed copy of a layer per step (large
    /// managed allocations start garbage collections that race TorchSharp's temporaries).
    /// </summary>
    public static unsafe SlicedWeights Slice(Tensor wq, CoreConfig core)
    {
        int n = (int)wq.shape[0], k = (int)wq.shape[1];
        int r = core.Rows, b = core.BitsPerCell, S = core.Slices, mask = (1 << b) - 1;
        int tiles = (k + r - 1) / r, columns = n * S;
        using var weights = wq.to_type(ScalarType.Float32).cpu().contiguous();
        float* w = (float*)NativeData.Pointer(weights);
        int limit = 1 << (core.WeightBits - 1);
        for (long i = 0; i < (long)n * k; i++)
            if (!(Math.Abs(w[i]) < limit)) throw new ArgumentException($"weight slicing: integer weights of {core.WeightBits} bits expected, got {w[i]}");
        // [T R, N S]: row = input (rows past K hold weight 0: no input reaches them), column n S + s.
        var positive = zeros(new long[] { tiles, r, columns });
        float* pos = (float*)NativeData.Pointer(positive);
        if (core.Mapping == Config.WeightMapping.Differential)
        {
            var negative = zeros(new long[] { tiles, r, columns });
            float* neg = (float*)NativeData.Pointer(negative);
            for (int o = 0; o < n; o++)
                for (int i = 0; i < k; i++)
                {
                    int v = (int)w[(long)o * k + i];
                    float* side = v >= 0 ? pos : neg;
                    for (int sl = 0, m = Math.Abs(v); sl < S; sl++, m >>= b)
                        side[(long)i * columns + o * S + sl] = m & mask;
                }
            return new SlicedWeights(positive, negative, tiles, r, n, S);
        }
        // Offset: u = Wq + 2^(wb-1) is sliced; padded rows are weight 0 too, so u = offset there.
        int offset = 1 << (core.WeightBits - 1);
        for (int i = 0; i < tiles * r; i++)
            for (int o = 0; o < n; o++)
                for (int sl = 0, m = (i < k ? (int)w[(long)o * k + i] : 0) + offset; sl < S; sl++, m >>= b)
                    pos[(long)i * columns + o * S + sl] = m & mask;
        var reference = zeros(new long[] { tiles, r, S });
        float* refs = (float*)NativeData.Pointer(reference);
        for (int i = 0; i < tiles * r; i++)
            for (int sl = 0; sl < S; sl++) refs[(long)i * S + sl] = (offset >> (b * sl)) & mask;
        return new SlicedWeights(positive, reference, tiles, r, n, S) { SharedReference = true };
    }

    /// <summary>Digital weight of slice s: 2^(b s), as a [S] tensor.</summary>
    public static Tensor SliceWeights(CoreConfig core, Device? device = null) =>
        tensor(Enumerable.Range(0, core.Slices).Select(s => (float)Math.Pow(2, core.BitsPerCell * s)).ToArray(), device: device);
}
