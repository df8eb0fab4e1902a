using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Input quantization (<see cref="InputEncoding.Quantize"/>) in one pass over dense float32 inputs:
///   xq = min(max(round_half_even(x / s), lo), hi)   (s the input step as float32),
/// the same IEEE float32 operations, in the same order, as torch's div, round_ and clamp_, which
/// take three passes; so it gives the same integers bit for bit (<c>Crossbar/InputQuantizationTests</c>).
/// The result keeps the input's layout (channels-last images stay channels-last), as torch's do.
/// </summary>
internal static unsafe class QuantizeKernel
{
    public static Tensor Quantize(Tensor x, float step, float lo, float hi)
    {
        var result = DenseKernel.EmptyLike(x);
        float* src = DenseKernel.Data(x), dst = DenseKernel.Data(result);
        DenseKernel.For(x.numel(), (start, n) => Run(src + start, dst + start, n, step, lo, hi));
        return result;
    }

    /// <summary>The residual xq s - x (<see cref="InputEncoding.QuantizationResidual"/>): torch's quantization, mul_(s) and sub, in one pass.</summary>
    public static Tensor Residual(Tensor x, float step, float lo, float hi)
    {
        var result = DenseKernel.EmptyLike(x);
        float* src = DenseKernel.Data(x), dst = DenseKernel.Data(result);
        DenseKernel.For(x.numel(), (start, n) => RunResidual(src + start, dst + start, n, step, lo, hi));
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RunResidual(float* x, float* y, int n, float step, float lo, float hi)
    {
        var s = Vector256.Create(step);
        var low = Vector256.Create(lo);
        var high = Vector256.Create(hi);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Load(x + i);
            (Vector256.Min(Vector256.Max(Vector256.Round(v / s), low), high) * s - v).Store(y + i);
        }
        for (; i < n; i++) y[i] = MathF.Min(MathF.Max(MathF.Round(x[i] / step, MidpointRounding.ToEven), lo), hi) * step - x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run(float* x, float* y, int n, float step, float lo, float hi)
    {
        var s = Vector256.Create(step);
        var low = Vector256.Create(lo);
        var high = Vector256.Create(hi);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Round(Vector256.Load(x + i) / s);
            Vector256.Min(Vector256.Max(v, low), high).Store(y + i);
        }
        for (; i < n; i++) y[i] = MathF.Min(MathF.Max(MathF.Round(x[i] / step, MidpointRounding.ToEven), lo), hi);
    }
}
