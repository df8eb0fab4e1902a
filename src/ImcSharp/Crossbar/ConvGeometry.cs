using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// A 2-D convolution on the crossbar. Every output pixel's receptive field is one input vector of
/// K = C kh kw rows, channel-major like the weight (row k = (c kh + i) kw + j); the L = Ho Wo
/// output pixels of a sample are L input vectors. Tile t drives rows k in [t R, (t + 1) R), so its
/// partial sums are the receptive fields of the input channels those rows touch times the tile's cells:
///   P_t[b, l, col] = sum_{k in tile t} x_unfold[b, l, k] G_t[k - t R, col],
/// G_t as a kernel [col, c1 - c0, kh, kw] over channels [c0, c1), zero outside the tile.
/// The sums are one matrix product per tile (a GEMM), not a convolution kernel: on integer
/// operands every partial sum below 2^24 is exact in float32 in any order, so an ideal core's
/// sums are the same on every CPU. libtorch's oneDNN convolutions are not a safe base for that:
/// on an AMD EPYC (family 26) some return wrong values (see <see cref="Convolution2d"/>).
/// </summary>
public sealed record ConvGeometry(long Channels, long KernelH, long KernelW, long[] Stride, long[] Padding, long[] Dilation)
{
    /// <summary>Rows per input vector: C kh kw.</summary>
    public long Inputs => Channels * KernelH * KernelW;
    long PerChannel => KernelH * KernelW;

    public (long H, long W) Output(Tensor x) =>
        ((x.size(2) + 2 * Padding[0] - Dilation[0] * (KernelH - 1) - 1) / Stride[0] + 1,
         (x.size(3) + 2 * Padding[1] - Dilation[1] * (KernelW - 1) - 1) / Stride[1] + 1);

    /// <summary>Output pixels per sample (input vectors per sample).</summary>
    public long Pixels(Tensor x) { var (h, w) = Output(x); return h * w; }

    /// <summary>Input vectors [B L, K] of images [B, C, H, W] (sample-major, then output pixel).</summary>
    public Tensor Unfold(Tensor x)
    {
        var cols = nn.functional.unfold(x, (KernelH, KernelW), (Dilation[0], Dilation[1]), (Padding[0], Padding[1]), (Stride[0], Stride[1]));
        return cols.transpose(1, 2).reshape(-1, cols.size(1));
    }

    /// <summary>Outputs [B L, N] as images [B, N, Ho, Wo] for inputs <paramref name="x"/>.</summary>
    public Tensor ToImages(Tensor y, Tensor x)
    {
        var (h, w) = Output(x);
        return y.view(x.size(0), h * w, -1).transpose(1, 2).reshape(x.size(0), -1, h, w);
    }

    public Tensor Convolve(Tensor x, Tensor weight) =>
        Convolution2d.Apply(x, weight, null, Stride, Padding, Dilation);

    /// <summary>The channels [First, First + Count) tile t of <paramref name="rows"/> rows touches.</summary>
    public (long First, long Count) TileChannels(int t, long rows)
    {
        long k0 = t * rows, k1 = Math.Min(Inputs, k0 + rows);
        long c0 = k0 / PerChannel, c1 = (k1 - 1) / PerChannel + 1;
        return (c0, c1 - c0);
    }

    /// <summary>
    /// Tile t's rows of matrix <paramref name="m"/> [outputs, K] as a kernel [outputs, count, kh, kw]
    /// over its channels (see <see cref="TileChannels"/>), zero where the rows belong to other tiles;
    /// differentiable in <paramref name="m"/>.
    /// </summary>
    public Tensor TileKernel(Tensor m, int t, long rows)
    {
        var (c0, count) = TileChannels(t, rows);
        long k0 = t * rows, k1 = Math.Min(Inputs, k0 + rows);
        var part = m.narrow(1, k0, k1 - k0);
        var padded = nn.functional.pad(part, new[] { k0 - c0 * PerChannel, (c0 + count) * PerChannel - k1 });
        return padded.view(m.size(0), count, KernelH, KernelW);
    }

    /// <summary>
    /// Partial sums [T, B L, cols] for images <paramref name="x"/> [B, C, H, W] of a programmed
    /// matrix given as its tile kernels (<see cref="TileKernels"/>, tiles of <paramref name="rows"/>
    /// rows): one product per tile (see the record summary), written straight into the
    /// [T, B L, cols] layout the ADCs read.
    /// </summary>
    public Tensor TileSums(Tensor x, IReadOnlyList<Tensor> kernels, long rows)
    {
        int tiles = kernels.Count;
        var (h, w) = Output(x);
        long m = x.size(0) * h * w, cols = kernels[0].size(0);
        if (tiles == 1) return Products(x, kernels[0]).view(1, m, cols);
        var result = empty(new long[] { tiles, m, cols }, device: x.device);
        for (int t = 0; t < tiles; t++)
        {
            var (c0, count) = TileChannels(t, rows);
            using var fields = Unfold(count == Channels ? x : x.narrow(1, c0, count));
            // beta 0: the uninitialized buffer is ignored, not scaled.
            result[t].addmm_(fields, kernels[t].view(cols, -1).t(), beta: 0);
        }
        return result;
    }

    /// <summary>
    /// The receptive fields of images <paramref name="x"/> [B, c, H, W] times a kernel
    /// [N, c, kh, kw] over their c channels: [B L, N], one GEMM (exact on integers whose sums stay below 2^24).
    /// </summary>
    public Tensor Products(Tensor x, Tensor kernel) =>
        Unfold(x).mm(kernel.reshape(kernel.size(0), -1).t());

    /// <summary>The kernels [cols, count, kh, kw] of every tile of a programmed matrix [T, cols, R] (one row of cells per column).</summary>
    public Tensor[] TileKernels(Tensor byColumn)
    {
        long tiles = byColumn.size(0), cols = byColumn.size(1), rows = byColumn.size(2);
        // The tiles' rows side by side are the matrix [cols, K] over the unfolded input (rows past K hold no cells).
        using var m = byColumn.permute(1, 0, 2).reshape(cols, tiles * rows).narrow(1, 0, Inputs);
        return Enumerable.Range(0, (int)tiles).Select(t => TileKernel(m, t, rows).contiguous()).ToArray();
    }
}
