using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// A 2-D convolution on the crossbar. Every output pixel's receptive field is one input vector of
/// K = C kh kw rows, channel-major like the weight (row k = (c kh + i) kw + j); the L = Ho Wo
/// output pixels of a sample are L input vectors. Tile t drives rows k in [t R, (t + 1) R), so its
/// partial sums are a convolution of the input channels those rows touch with the tile's cells:
///   P_t[b, l, col] = sum_{k in tile t} x_unfold[b, l, k] G_t[k - t R, col]
///                  = conv2d(x[:, c0..c1), G_t as [col, c1 - c0, kh, kw], zero outside the tile)[b, col, l],
/// which needs no unfolded copy of the input (kh kw times its size).
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
        nn.functional.conv2d(x, weight, strides: Stride, padding: Padding, dilation: Dilation);

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
    /// rows): one convolution per tile (see the record summary), written straight into the
    /// [T, B L, cols] layout the ADCs read (a single tile's sums are that layout already when
    /// the images are channels-last).
    /// </summary>
    public Tensor TileSums(Tensor x, IReadOnlyList<Tensor> kernels, long rows)
    {
        int tiles = kernels.Count;
        long b = x.size(0), cols = kernels[0].size(0);
        var (h, w) = Output(x);
        // Channels-last images convolve to channels-last sums (oneDNN keeps the layout): images in
        // another layout (a network's input, a digital layer's output) are laid out so first, a copy
        // of the C input channels instead of one of the cols output columns per pixel.
        // One channel is both layouts in memory; its strides say which (channel stride 1: channels-last).
        bool channelsLast = x.size(1) == 1 ? x.stride(1) == 1 && x.is_contiguous() : x.permute(0, 2, 3, 1).is_contiguous();
        if (!channelsLast)
            x = x.size(1) == 1 ? x.contiguous().as_strided(x.Sizes(), new[] { x.size(2) * x.size(3), 1, x.size(3), 1 })
                : x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        if (tiles == 1)
        {
            // Channels-last images (what analog layers hand on) convolve to channels-last sums: already the ADCs' layout.
            var y = Convolve(x, kernels[0]).permute(0, 2, 3, 1);
            return (y.is_contiguous() ? y : y.contiguous()).view(1, b * h * w, cols);
        }
        var result = empty(new long[] { tiles, b, h, w, cols }, device: x.device);
        for (int t = 0; t < tiles; t++)
        {
            var (c0, count) = TileChannels(t, rows);
            using var y = Convolve(count == Channels ? x : x.narrow(1, c0, count), kernels[t]);
            result[t].copy_(y.permute(0, 2, 3, 1));
        }
        return result.view(tiles, b * h * w, cols);
    }

    /// <summary>The kernels [cols, count, kh, kw] of every tile of a programmed matrix [T, cols, R] (one row of cells per column).</summary>
    public Tensor[] TileKernels(Tensor byColumn)
    {
        long tiles = byColumn.size(0), cols = byColumn.size(1), rows = byColumn.size(2);
        // The tiles' rows side by side are the matrix [cols, K] over the unfolded input (rows past K hold no cells).
        using var m = byColumn.permute(1, 0, 2).reshape(cols, tiles * rows).narrow(1, 0, Inputs);
        return Enumerable.Range(0, (int)tiles).Select(t => TileKernel(m, t, rows).contiguous()).ToArray();
    }
}
