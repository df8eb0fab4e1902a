using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The receptive fields of a tile's channels as the rows a GEMM reads: row (b, h, w) holds, at
/// column (i kw + j) count + (c - c0),
///   x_pad[b, c, s h + d i, s w + d j]   for c in [c0, c0 + count), kernel position (i, j),
/// zero in the padding. The columns run channel-innermost, so from channels-last images
/// [B, H, W, C] every kernel position copies one pixel's run of channels, and the rows come out
/// in the layout the product reads: no transposing copy between the fields and the GEMM
/// (the image-rows-innermost fields of <see cref="ConvGeometry.Fields"/> cost one, and are read
/// against their strides from channels-last images). The tile's kernel is reordered to match
/// (<see cref="KernelColumns"/>). CPU float32 only; no autograd (the chip's sums take none).
/// </summary>
internal static unsafe class FieldRows
{
    /// <summary>Whether the rows can be built for images <paramref name="x"/>.</summary>
    public static bool Applies(Tensor x) => x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32;

    /// <summary>
    /// Rows [n Ho Wo, kh kw count] for samples [s0, s0 + n) and channels [c0, c0 + count) of
    /// channels-last contiguous images <paramref name="images"/> [B, H, W, C].
    /// </summary>
    public static Tensor Build(ConvGeometry g, Tensor images, long s0, long n, long c0, long count)
    {
        long h = images.size(1), w = images.size(2), c = images.size(3);
        long ho = (h + 2 * g.Padding[0] - g.Dilation[0] * (g.KernelH - 1) - 1) / g.Stride[0] + 1;
        long wo = (w + 2 * g.Padding[1] - g.Dilation[1] * (g.KernelW - 1) - 1) / g.Stride[1] + 1;
        long kh = g.KernelH, kw = g.KernelW, width = kh * kw * count;
        var rows = empty(new[] { n * ho * wo, width }, dtype: ScalarType.Float32);
        float* src = (float*)NativeData.Pointer(images), dst = (float*)NativeData.Pointer(rows);
        nint sp = (nint)src, dp = (nint)dst;
        long sh = g.Stride[0], sw = g.Stride[1], ph = g.Padding[0], pw = g.Padding[1], dh = g.Dilation[0],
            dw = g.Dilation[1];
        int run = checked((int)count);
        // One task per output image row: Wo rows of kh kw runs each.
        TorchThreads.For(n * ho, Math.Max(1, torch.get_num_threads()), task =>
        {
            long b = task / ho, y = task % ho;
            float* image = (float*)sp + (s0 + b) * h * w * c + c0;
            float* row = (float*)dp + task * wo * width;
            for (long x = 0; x < wo; x++, row += width)
                for (long i = 0; i < kh; i++)
                {
                    long yi = y * sh - ph + i * dh;
                    for (long j = 0; j < kw; j++)
                    {
                        long xj = x * sw - pw + j * dw;
                        float* to = row + (i * kw + j) * count;
                        if (yi < 0 || yi >= h || xj < 0 || xj >= w) new Span<float>(to, run).Clear();
                        else Copy(image + (yi * w + xj) * c, to, run);
                    }
                }
        });
        return rows;
    }

    /// <summary>Copies a run of floats, whole vectors inline (runs are short: one pixel's channels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Copy(float* from, float* to, int count)
    {
        int k = 0;
        for (; k + 8 <= count; k += 8) Vector256.Store(Vector256.Load(from + k), to + k);
        for (; k < count; k++) to[k] = from[k];
    }

    /// <summary>
    /// A tile kernel [cols, count, kh, kw] as the GEMM's right-hand side [kh kw count, cols], its
    /// rows in the order of <see cref="Build"/>'s columns.
    /// </summary>
    public static Tensor KernelColumns(Tensor kernel) =>
        kernel.permute(0, 2, 3, 1).reshape(kernel.size(0), -1).t();
}
