using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Input quantization (<see cref="InputEncoding.Quantize"/>) in one pass over dense float32 inputs:
///   xq = min(max(round_half_even(x / s), lo), hi)   (s the input step as float32),
/// or its residual xq s - x (<see cref="InputEncoding.QuantizationResidual"/>): the same IEEE
/// float32 operations, in the same order, as torch's div, round_, clamp_ (then mul_ and sub),
/// which take a pass each; so the same numbers bit for bit (<c>Crossbar/InputQuantizationTests</c>).
/// The result keeps the input's layout (channels-last images stay channels-last), as torch's do.
/// </summary>
internal static unsafe class QuantizeKernel
{
    public static Tensor Quantize(Tensor x, float step, float lo, float hi) => Map(x, step, lo, hi, residual: false);

    public static Tensor Residual(Tensor x, float step, float lo, float hi) => Map(x, step, lo, hi, residual: true);

    static Tensor Map(Tensor x, float step, float lo, float hi, bool residual)
    {
        var result = DenseKernel.EmptyLike(x);
        float* src = DenseKernel.Data(x), dst = DenseKernel.Data(result);
        DenseKernel.For(x.numel(), (start, n) => Run(src + start, dst + start, n, step, lo, hi, residual));
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run(float* x, float* y, int n, float step, float lo, float hi, bool residual)
    {
        var s = Vector256.Create(step);
        var low = Vector256.Create(lo);
        var high = Vector256.Create(hi);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Load(x + i);
            var q = Vector256.Min(Vector256.Max(Vector256.Round(v / s), low), high);
            (residual ? q * s - v : q).Store(y + i);
        }
        for (; i < n; i++)
        {
            float q = MathF.Min(MathF.Max(MathF.Round(x[i] / step, MidpointRounding.ToEven), lo), hi);
            y[i] = residual ? q * step - x[i] : q;
        }
    }
}
