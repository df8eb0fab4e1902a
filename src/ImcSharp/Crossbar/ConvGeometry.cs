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
public sealed record ConvGeometry(long Channels, long KernelH, long KernelW, long[] Stride, long[] Padding,
    long[] Dilation)
    : IInputVectors
{
    Tensor IInputVectors.ToRows(Tensor x) => Unfold(x);
    Tensor IInputVectors.FromRows(Tensor y, Tensor x) => ToImages(y, x);
    long IInputVectors.RowsPerSample(Tensor x) => Pixels(x);

    /// <summary>Rows per input vector: C kh kw.</summary>
    public long Inputs => Channels * KernelH * KernelW;
    long PerChannel => KernelH * KernelW;

    /// <summary>Output height and width for images <paramref name="x"/> [B, C, H, W].</summary>
    public (long H, long W) Output(Tensor x) =>
        ((x.size(2) + 2 * Padding[0] - Dilation[0] * (KernelH - 1) - 1) / Stride[0] + 1,
         (x.size(3) + 2 * Padding[1] - Dilation[1] * (KernelW - 1) - 1) / Stride[1] + 1);

    /// <summary>Output pixels per sample (input vectors per sample).</summary>
    public long Pixels(Tensor x) { var (h, w) = Output(x); return h * w; }

    /// <summary>
    /// Input vectors [B L, K] of images [B, C, H, W] (sample-major, then output pixel): one strided
    /// copy of the zero-padded images, x_pad[b, c, s h + d i, s w + d j] at row (b, h, w) and
    /// column (c kh + i) kw + j (libtorch's unfold, then a transposed copy, moved twice as much).
    /// </summary>
    public Tensor Unfold(Tensor x)
    {
        var (h, w) = Output(x);
        var xp = Padding[0] == 0 && Padding[1] == 0 ? x
            : nn.functional.pad(x, new[] { Padding[1], Padding[1], Padding[0], Padding[0] });
        long b = x.size(0), c = x.size(1);
        var st = xp.Strides();
        return xp.as_strided(new[] { b, h, w, c, KernelH, KernelW },
                new[] { st[0], Stride[0] * st[2], Stride[1] * st[3], st[1], Dilation[0] * st[2], Dilation[1] * st[3] },
                    xp.storage_offset())
            .reshape(b * h * w, c * KernelH * KernelW);
    }

    /// <summary>
    /// Receptive fields [B, K, L] of images [B, C, H, W] (row k = (c kh + i) kw + j, column the
    /// output pixel): kh kw strided copies of the zero-padded images, one per kernel position,
    /// each with whole image rows innermost (a copy per element position was 4-6x slower).
    /// </summary>
    public Tensor Fields(Tensor x)
    {
        var (h, w) = Output(x);
        var xp = Padding[0] == 0 && Padding[1] == 0 ? x
            : nn.functional.pad(x, new[] { Padding[1], Padding[1], Padding[0], Padding[0] });
        long b = x.size(0), c = x.size(1);
        var st = xp.Strides();
        var fields = empty(new[] { b, c, KernelH, KernelW, h, w }, dtype: x.dtype, device: x.device);
        long[] size = { b, c, h, w }, stride = { st[0], st[1], Stride[0] * st[2], Stride[1] * st[3] };
        for (long i = 0; i < KernelH; i++)
            for (long j = 0; j < KernelW; j++)
                fields.select(2, i).select(2, j)
                    .copy_(xp.as_strided(size, stride,
                    xp.storage_offset() + i * Dilation[0] * st[2] + j * Dilation[1] * st[3]));
        return fields.view(b, c * KernelH * KernelW, h * w);
    }

    /// <summary>
    /// Samples per block of <see cref="Fields"/> so that a block stays near <see cref="BlockBytes"/>:
    /// a block that size is reused from the heap, a larger one is mapped and faulted in page by
    /// page, which on a VM costs more than the arithmetic.
    /// </summary>
    public long SamplesPerBlock(Tensor x, long channels)
    {
        var (h, w) = Output(x);
        return SamplesPerBlock(h * w, channels);
    }

    /// <summary>The same for <paramref name="pixels"/> output pixels a sample.</summary>
    long SamplesPerBlock(long pixels, long channels) =>
        Math.Max(1, BlockBytes / (4 * pixels * channels * KernelH * KernelW));

    /// <summary>Bytes of input vectors per block (see <see cref="SamplesPerBlock(Tensor, long)"/>).</summary>
    public const long BlockBytes = 8L << 20;

    /// <summary>Outputs [B L, N] as images [B, N, Ho, Wo] for inputs <paramref name="x"/>.</summary>
    public Tensor ToImages(Tensor y, Tensor x)
    {
        var (h, w) = Output(x);
        return y.view(x.size(0), h * w, -1).transpose(1, 2).reshape(x.size(0), -1, h, w);
    }

    /// <summary>
    /// The float convolution of <paramref name="x"/> with <paramref name="weight"/> (see <see cref="Convolution2d"/>).
    /// </summary>
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
    /// rows), in the layout the ADCs read: one convolution per tile where libtorch's kernels pass
    /// <see cref="Convolution2d.SelfCheck"/>, otherwise GEMMs over the receptive fields (see the
    /// record summary). On integers both give the same sums.
    /// </summary>
    public Tensor TileSums(Tensor x, IReadOnlyList<Tensor> kernels, long rows) =>
        TileSums(x, rows, new TileProduct(kernels))[0];

    /// <summary>
    /// The tile sums of several programmed matrices over the same images (or their squares, see
    /// <see cref="TileProduct"/>), one result each: the GEMM form builds each tile's receptive
    /// fields once for all of them.
    /// </summary>
    public Tensor[] TileSums(Tensor x, long rows, params TileProduct[] products)
    {
        if (!Convolution2d.KernelsHealthy && FieldRows.Applies(x)) return TileSumsByGemm(x, rows, products);
        Tensor? squares = null;
        return products.Select(p => TileSumsByConvolution(p.Squared ? squares ??= x.square() : x, p.Kernels, rows))
            .ToArray();
    }

    Tensor TileSumsByConvolution(Tensor x, IReadOnlyList<Tensor> kernels, long rows)
    {
        int tiles = kernels.Count;
        long b = x.size(0), cols = kernels[0].size(0);
        var (h, w) = Output(x);
        // Channels-last images convolve to channels-last sums (oneDNN keeps the layout): images in
        // another layout (a network's input, a digital layer's output) are laid out so first, a copy
        // of the C input channels instead of one of the cols output columns per pixel.
        // One channel is both layouts in memory; its strides say which (channel stride 1: channels-last).
        bool channelsLast =
            x.size(1) == 1 ? x.stride(1) == 1 && x.is_contiguous() : x.permute(0, 2, 3, 1).is_contiguous();
        if (!channelsLast)
            x = x.size(1) == 1 ? x.contiguous().as_strided(x.Sizes(), new[] { x.size(2) * x.size(3), 1, x.size(3), 1 })
                : x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        if (tiles == 1)
        {
            // Channels-last images (what analog layers hand on) convolve to channels-last sums: already the ADCs'
            // layout.
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

    internal Tensor[] TileSumsByGemm(Tensor x, long rows, IReadOnlyList<TileProduct> products)
    {
        int tiles = products[0].Kernels.Count;
        var (h, w) = Output(x);
        long pixels = x.size(0) * h * w;
        var results = products.Select(p => empty(new[] { tiles, pixels, p.Kernels[0].size(0) }, device: x.device))
            .ToArray();
        using var images = ChannelsLast(x);
        for (int t = 0; t < tiles; t++)
        {
            var (c0, count) = TileChannels(t, rows);
            using var scope = NewDisposeScope();
            ProductsInto(images, c0, count,
                products.Select((p, m) => (FieldRows.KernelColumns(p.Kernels[t]), p.Squared, results[m][t])).ToArray());
        }
        return results;
    }

    /// <summary>
    /// A convolution of integer images <paramref name="x"/> [B, c, H, W] with an integer kernel
    /// [N, c, kh, kw], as images [B, N, Ho, Wo], exact while every sum stays below 2^24: libtorch's
    /// convolution where its kernels pass the self-check, otherwise GEMMs over the receptive fields.
    /// </summary>
    public Tensor IntegerImages(Tensor x, Tensor kernel) =>
        Convolution2d.KernelsHealthy || !FieldRows.Applies(x) ? Convolve(x, kernel) : ImagesByGemm(x, kernel);

    /// <summary>
    /// The convolution of images <paramref name="x"/> [B, C, H, W] with <paramref name="kernel"/>
    /// [N, C, kh, kw] as GEMMs over field rows (<see cref="FieldRows"/>; CPU float32, no autograd):
    /// images [B, N, Ho, Wo], laid out channels-last.
    /// </summary>
    internal Tensor ImagesByGemm(Tensor x, Tensor kernel)
    {
        var (h, w) = Output(x);
        var rows = empty(new long[] { x.size(0) * h * w, kernel.size(0) }, device: x.device);
        using (var images = ChannelsLast(x))
        using (var right = FieldRows.KernelColumns(kernel))
            ProductsInto(images, 0, x.size(1), new[] { (right, false, rows) });
        return ToImages(rows, x);
    }

    /// <summary>Images [B, C, H, W] as channels-last contiguous [B, H, W, C] (a view when laid out so).</summary>
    static Tensor ChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous();

    /// <summary>
    /// Rows of each result [B L, N_m] = receptive fields of channels [c0, c0 + count) of
    /// channels-last <paramref name="images"/> (squared where asked) times its right-hand side
    /// [kh kw count, N_m] (<see cref="FieldRows.KernelColumns"/>), a block of samples at a time:
    /// each block's fields are built once, multiplied by the plain products, squared in place and
    /// multiplied by the squared ones, each GEMM writing into its result's rows.
    /// </summary>
    void ProductsInto(Tensor images, long c0, long count, (Tensor Right, bool Squared, Tensor Result)[] products)
    {
        long b = images.size(0), l = products[0].Result.size(0) / Math.Max(1, b);
        long block = SamplesPerBlock(l, count);
        for (long s0 = 0; s0 < b; s0 += block)
        {
            long n = Math.Min(block, b - s0);
            using var fields = FieldRows.Build(this, images, s0, n, c0, count);
            foreach (bool squared in new[] { false, true })
            {
                if (squared && products.Any(p => p.Squared)) fields.mul_(fields);
                foreach (var (right, _, result) in products.Where(p => p.Squared == squared))
                {
                    using var part = result.narrow(0, s0 * l, n * l);
                    part.addmm_(fields, right, 0, 1);
                }
            }
        }
    }

    /// <summary>
    /// The kernels [cols, count, kh, kw] of every tile of a programmed matrix [T, cols, R] (one row of cells per
    /// column).
    /// </summary>
    public Tensor[] TileKernels(Tensor byColumn)
    {
        long tiles = byColumn.size(0), cols = byColumn.size(1), rows = byColumn.size(2);
        // The tiles' rows side by side are the matrix [cols, K] over the unfolded input (rows past K hold no cells).
        using var m = byColumn.permute(1, 0, 2).reshape(cols, tiles * rows).narrow(1, 0, Inputs);
        return Enumerable.Range(0, (int)tiles).Select(t => TileKernel(m, t, rows).contiguous()).ToArray();
    }
}

/// <summary>
/// One programmed matrix for <see cref="ConvGeometry.TileSums(Tensor, long, TileProduct[])"/>: its
/// tile kernels, multiplying the images or, when <paramref name="Squared"/>, their squares (the
/// read-noise variance: sum_r x_r^2 sigma_r^2).
/// </summary>
public readonly record struct TileProduct(IReadOnlyList<Tensor> Kernels, bool Squared = false);
