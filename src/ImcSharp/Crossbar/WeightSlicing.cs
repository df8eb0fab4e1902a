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

    /// <summary>Slices integer weights Wq [N, K] for a core; see <see cref="SlicedWeights"/>.</summary>
    public static SlicedWeights Slice(Tensor wq, CoreConfig core)
    {
        long n = wq.shape[0], k = wq.shape[1];
        int r = core.Rows, b = core.BitsPerCell, S = core.Slices;
        int tiles = (int)((k + r - 1) / r);
        // [N, K] -> [K_pad, N], zero rows past K: padded rows get no input, their cells stay at level 0.
        var wt = nn.functional.pad(wq.t(), new long[] { 0, 0, 0, tiles * r - k });
        Tensor pos, neg;
        if (core.Mapping == Config.WeightMapping.Differential)
        {
            var wp = wt.clamp_min(0);
            var wn = wt.neg().clamp_min_(0);
            pos = stack(Enumerable.Range(0, S).Select(s => Digit(wp, s, b)).ToArray(), -1);
            neg = stack(Enumerable.Range(0, S).Select(s => Digit(wn, s, b)).ToArray(), -1);
        }
        else
        {
            double offset = Math.Pow(2, core.WeightBits - 1);
            // Padded rows are weight 0 too, i.e. u = offset, so every row of a column is a real cell state.
            var u = wt + offset;
            pos = stack(Enumerable.Range(0, S).Select(s => Digit(u, s, b)).ToArray(), -1);
            var refDigits = Enumerable.Range(0, S).Select(s => (float)Math.Floor(offset / Math.Pow(2, b * s) % (1 << b))).ToArray();
            neg = tensor(refDigits).expand(tiles * r, S).contiguous();
            return new SlicedWeights(pos.reshape(tiles, r, n * S), neg.reshape(tiles, r, S), tiles, r, (int)n, S) { SharedReference = true };
        }
        return new SlicedWeights(pos.reshape(tiles, r, n * S), neg.reshape(tiles, r, n * S), tiles, r, (int)n, S);
    }

    /// <summary>Digital weight of slice s: 2^(b s), as a [S] tensor.</summary>
    public static Tensor SliceWeights(CoreConfig core, Device? device = null) =>
        tensor(Enumerable.Range(0, core.Slices).Select(s => (float)Math.Pow(2, core.BitsPerCell * s)).ToArray(), device: device);
}
