using ImcSharp.Config;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The quantized layer's exact product, what an ideal core must reproduce:
///   y = (xq . Wq^T) s_w s_x
/// with xq, Wq the integer inputs and weights and s_w, s_x their LSB values. Exact on every CPU:
/// integer sums below 2^24 are exact in float32 in any order (<see cref="ConvGeometry.IntegerImages"/>),
/// and larger ones are summed in float64.
/// </summary>
public static class QuantizedReference
{
    /// <summary>
    /// Input channels a float32 product of the quantized layer may sum at once: every integer
    /// sum then stays below 2^24 (|xq| |wq| per channel's kh kw rows), where float32 holds every
    /// integer, so any summation order is exact. All channels when |xq| |wq| K fits (6-bit inputs,
    /// 4-bit weights over 576 rows), fewer for 8-bit inputs and weights; 0 (unfold and multiply in
    /// float64) when not even one channel fits, or for a matmul layer.
    /// </summary>
    public static long ChannelsPerConvolution(CoreConfig core, bool signedInputs, ConvGeometry? conv)
    {
        if (conv is null) return 0;
        double perChannel = InputEncoding.QuantMax(core.InputBits, signedInputs) * ((1 << (core.WeightBits - 1)) - 1)
            * (double)(conv.KernelH * conv.KernelW);
        return Math.Min(conv.Channels, (long)Math.Floor(((1 << 24) - 1) / perChannel));
    }

    /// <summary>
    /// y for integer inputs <paramref name="xq"/>: a convolution's images [B, N, Ho, Wo] from input
    /// images when <paramref name="conv"/> is given, else rows [M, N] from input vectors [M, K].
    /// </summary>
    public static Tensor Product(Tensor xq, (Tensor Wq, double Scale) wq, double inputScale, CoreConfig core,
        bool signedInputs, ConvGeometry? conv)
    {
        if (conv is null)
            // float64 keeps every integer product and sum exact; the sums fit float32 exactly.
            return xq.to_type(ScalarType.Float64).matmul(wq.Wq.to_type(ScalarType.Float64).t())
                .to_type(ScalarType.Float32)
                .mul_((float)(wq.Scale * inputScale));
        // Integer sums below 2^24 per group of channels: float32 adds them exactly in any order; the
        // groups' exact sums added in float64 and rounded once give the float64 product's result.
        long group = ChannelsPerConvolution(core, signedInputs, conv);
        var kernel = wq.Wq.view(wq.Wq.size(0), conv.Channels, conv.KernelH, conv.KernelW);
        Tensor images;
        if (group >= conv.Channels) images = conv.IntegerImages(xq, kernel);
        else
        {
            Tensor? sum = null;
            for (long c0 = 0; c0 < conv.Channels; c0 += group)
            {
                long count = Math.Min(group, conv.Channels - c0);
                var part = conv.IntegerImages(xq.narrow(1, c0, count), kernel.narrow(1, c0, count))
                    .to_type(ScalarType.Float64);
                sum = sum is null ? part : sum.add_(part);
            }
            images = sum!.to_type(ScalarType.Float32);
        }
        return images.mul_((float)(wq.Scale * inputScale));
    }
}
