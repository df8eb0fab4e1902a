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
        long ho, wo;
        using (var nchw = images.permute(0, 3, 1, 2)) (ho, wo) = g.Output(nchw);
        long kh = g.KernelH, kw = g.KernelW, width = kh * kw * count;
        var rows = empty(new[] { n * ho * wo, width }, dtype: ScalarType.Float32);
        float* src = (float*)NativeData.Pointer(images), dst = (float*)NativeData.Pointer(rows);
        nint sp = (nint)src, dp = (nint)dst;
        long sh = g.Stride[0], sw = g.Stride[1], ph = g.Padding[0], pw = g.Padding[1], dh = g.Dilation[0],
            dw = g.Dilation[1];
        int run = checked((int)count);
        // One task per output image row: Wo rows of kh kw runs each, each row written in order; single-channel
        // runs (a first layer) one kernel position at a time instead, over the range of x inside the image.
        TorchThreads.For(n * ho, Math.Max(1, torch.get_num_threads()), task =>
        {
            long b = task / ho, y = task % ho;
            float* image = (float*)sp + (s0 + b) * h * w * c + c0;
            float* rowsOut = (float*)dp + task * wo * width;
            if (run == 1) SingleChannel(image, rowsOut, y, w, h, c, wo, width, kh, kw, sh, sw, ph, pw, dh, dw);
            else Runs(image, rowsOut, y, w, h, c, wo, run, kh, kw, sh, sw, ph, pw, dh, dw);
        });
        return rows;
    }

    static void Runs(float* image, float* to, long y, long w, long h, long c, long wo, int run, long kh, long kw,
        long sh, long sw, long ph, long pw, long dh, long dw)
    {
        for (long x = 0; x < wo; x++)
            for (long i = 0; i < kh; i++)
            {
                long yi = y * sh - ph + i * dh;
                bool rowInside = yi >= 0 && yi < h;
                for (long j = 0; j < kw; j++, to += run)
                {
                    long xj = x * sw - pw + j * dw;
                    if (!rowInside || xj < 0 || xj >= w) new Span<float>(to, run).Clear();
                    else Copy(image + (yi * w + xj) * c, to, run);
                }
            }
    }

    static void SingleChannel(float* image, float* rows, long y, long w, long h, long c, long wo, long width, long kh,
        long kw, long sh, long sw, long ph, long pw, long dh, long dw)
    {
        for (long i = 0; i < kh; i++)
        {
            long yi = y * sh - ph + i * dh;
            for (long j = 0; j < kw; j++)
            {
                float* to = rows + i * kw + j;
                // x sw + offset in [0, w): x from ceil(-offset / sw) to floor((w - 1 - offset) / sw).
                long offset = j * dw - pw, first = 0, last = -1;
                if (yi >= 0 && yi < h)
                {
                    first = offset >= 0 ? 0 : (-offset + sw - 1) / sw;
                    last = w - 1 - offset < 0 ? -1 : Math.Min(wo - 1, (w - 1 - offset) / sw);
                }
                float* from = image + (yi * w + offset) * c;
                for (long x = 0; x < wo; x++, to += width) *to = x < first || x > last ? 0 : from[x * sw * c];
            }
        }
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
