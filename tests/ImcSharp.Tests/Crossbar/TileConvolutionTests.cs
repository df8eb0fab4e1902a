using ImcSharp.Crossbar;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

public class TileConvolutionTests
{
    /// <summary>
    /// One product per tile gives every tile's partial sums of the unfolded input vectors,
    /// [T, B L, cols], whatever the images' layout (one channel included, which is both in
    /// memory): a single tile's product is that layout already, several tiles are written into one tensor.
    /// </summary>
    [Theory]
    [InlineData(5, 64, false)]    // 5 x 3 x 3 = 45 rows: one tile
    [InlineData(5, 64, true)]
    [InlineData(5, 16, false)]    // three tiles, the middle channel split between two
    [InlineData(5, 16, true)]
    [InlineData(1, 64, false)]    // one channel, one tile
    [InlineData(1, 4, false)]     // one channel, three tiles
    public void TileSumsAreTheUnfoldedMatmulOfEachTilesRows(int channels, int rows, bool channelsLast)
    {
        using var scope = NewDisposeScope();
        var conv = new ConvGeometry(channels, 3, 3, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 1, 1 });
        int tiles = (int)((conv.Inputs + rows - 1) / rows);
        // Integers: every sum is exact in float32, whatever order the convolution adds in.
        var x = randint(0, 16, new long[] { 3, channels, 9, 7 }, generator: new Generator(4)).to_type(ScalarType.Float32);
        if (channelsLast) x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var byColumn = randint(-8, 8, new long[] { tiles, 6, rows }, generator: new Generator(5)).to_type(ScalarType.Float32);
        var m = byColumn.permute(1, 0, 2).reshape(6, tiles * rows);
        m.narrow(1, conv.Inputs, tiles * rows - conv.Inputs).zero_();
        byColumn = m.view(6, tiles, rows).permute(1, 0, 2).contiguous();
        var sums = conv.TileSums(x, conv.TileKernels(byColumn), rows);
        var byGemm = conv.TileSumsByGemm(x, rows, new[] { new TileProduct(conv.TileKernels(byColumn)) })[0];
        var unfolded = nn.functional.pad(conv.Unfold(x), new long[] { 0, tiles * rows - conv.Inputs });   // [B L, T R]
        for (int t = 0; t < tiles; t++)
        {
            var expected = unfolded.narrow(1, (long)t * rows, rows).matmul(byColumn[t].t());
            Assert.True(TensorAssert.Same(sums[t], expected), $"tile {t}");
            Assert.True(TensorAssert.Same(byGemm[t], expected), $"tile {t}, GEMMs");
        }
        Assert.Equal(new long[] { tiles, 3 * 9 * 7, 6 }, sums.shape);
        Assert.True(sums.abs().max().item<float>() > (channels == 1 ? 30 : 100), "test data too small to be meaningful");
    }

    /// <summary>
    /// The shapes where libtorch's oneDNN convolution kernels returned wrong values on an AMD EPYC
    /// (family 26): a 1x1 strided kernel over channels-last digits with 1024 columns (ResNet-20's
    /// shortcut on a bit-sliced core), and 3x3 tiles over 28 and 57 channels (a channel tail). The
    /// tile sums, and the GEMM form the library falls back to, must be the float64 product of the
    /// unfolded inputs (libtorch's unfold), exactly, on every CPU.
    /// </summary>
    [Theory]
    [InlineData(32, 1, 2, 1024, 64)]
    [InlineData(57, 3, 1, 40, 256)]
    [InlineData(28, 3, 1, 300, 256)]
    public void TileSumsAreExactWhereConvolutionKernelsWereNot(int channels, int kernel, int stride, int cols, int rows)
    {
        using var scope = NewDisposeScope();
        var conv = new ConvGeometry(channels, kernel, kernel, new long[] { stride, stride }, new long[] { kernel / 2, kernel / 2 }, new long[] { 1, 1 });
        int tiles = (int)((conv.Inputs + rows - 1) / rows);
        var x = randint(0, 2, new long[] { 8, channels, 14, 14 }, generator: new Generator(6)).to_type(ScalarType.Float32)
            .permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var byColumn = randint(-3, 4, new long[] { tiles, cols, rows }, generator: new Generator(7)).to_type(ScalarType.Float32);
        var m = byColumn.permute(1, 0, 2).reshape(cols, tiles * rows);
        m.narrow(1, conv.Inputs, tiles * rows - conv.Inputs).zero_();
        byColumn = m.view(cols, tiles, rows).permute(1, 0, 2).contiguous();
        var sums = conv.TileSums(x, conv.TileKernels(byColumn), rows);
        var byGemm = conv.TileSumsByGemm(x, rows, new[] { new TileProduct(conv.TileKernels(byColumn)) })[0];
        // Receptive fields by hand: libtorch's unfold, float64.
        var cols64 = nn.functional.unfold(x.to_type(ScalarType.Float64), (kernel, kernel), padding: (kernel / 2, kernel / 2), stride: (stride, stride));
        var unfolded = nn.functional.pad(cols64.transpose(1, 2).reshape(-1, conv.Inputs), new long[] { 0, tiles * rows - conv.Inputs });
        for (int t = 0; t < tiles; t++)
        {
            var expected = unfolded.narrow(1, (long)t * rows, rows).matmul(byColumn[t].t().to_type(ScalarType.Float64));
            Assert.Equal(0.0, (sums[t].to_type(ScalarType.Float64) - expected).abs().max().item<double>());
            Assert.Equal(0.0, (byGemm[t].to_type(ScalarType.Float64) - expected).abs().max().item<double>());
        }
    }

    /// <summary>
    /// Several programmed matrices over the same images in one call, one on the squared images (the
    /// read-noise variance): each result is the unfolded product of its own matrix with x or x^2,
    /// exactly, in both forms (the GEMM form builds each tile's fields once and squares them in
    /// place), with stride, dilation, no padding and images in either layout.
    /// </summary>
    [Theory]
    [InlineData(6, 1, 1, 1, false)]
    [InlineData(6, 2, 1, 1, true)]
    [InlineData(3, 1, 2, 0, false)]
    [InlineData(20, 2, 1, 1, true)]
    [InlineData(1, 2, 2, 2, false)]   // one channel, a two-pixel-wide image: a kernel position wholly right of it
    public void SeveralMatricesShareTheirFieldsAndSquaresAreExact(int channels, int stride, int dilation, int padding,
        bool channelsLast)
    {
        using var scope = NewDisposeScope();
        const int rows = 32;
        var conv = new ConvGeometry(channels, 3, 3, new long[] { stride, stride }, new long[] { padding, padding },
            new long[] { dilation, dilation });
        int tiles = (int)((conv.Inputs + rows - 1) / rows);
        var x = randint(0, 64, new long[] { 4, channels, channels == 1 ? 9 : 11, channels == 1 ? 2 : 10 }, generator: new Generator(8)).to_type(ScalarType.Float32);
        if (channelsLast) x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        Tensor Matrix(int seed, int cols, int low, int high)
        {
            var m = randint(low, high, new long[] { cols, tiles * rows }, generator: new Generator((ulong)seed)).to_type(ScalarType.Float32);
            m.narrow(1, conv.Inputs, tiles * rows - conv.Inputs).zero_();
            return m.view(cols, tiles, rows).permute(1, 0, 2).contiguous();
        }
        var (a, b, v) = (Matrix(9, 5, -8, 8), Matrix(10, 7, 0, 4), Matrix(11, 5, 0, 16));
        var products = new[] { new TileProduct(conv.TileKernels(a)), new TileProduct(conv.TileKernels(v), Squared: true),
            new TileProduct(conv.TileKernels(b)) };
        var unfolded = nn.functional.pad(conv.Unfold(x), new long[] { 0, tiles * rows - conv.Inputs }).to_type(ScalarType.Float64);
        foreach (var sums in new[] { conv.TileSums(x, rows, products), conv.TileSumsByGemm(x, rows, products) })
        {
            Assert.Equal(3, sums.Length);
            for (int t = 0; t < tiles; t++)
            {
                var part = unfolded.narrow(1, (long)t * rows, rows);
                foreach (var (result, matrix, squared) in new[] { (sums[0], a, false), (sums[1], v, true), (sums[2], b, false) })
                {
                    var expected = (squared ? part.square() : part).matmul(matrix[t].t().to_type(ScalarType.Float64));
                    Assert.Equal(0.0, (result[t].to_type(ScalarType.Float64) - expected).abs().max().item<double>());
                }
            }
            Assert.True(sums[1].max().item<float>() > (channels == 1 ? 1_000 : 10_000), "squares too small to be meaningful");
        }
    }
}
