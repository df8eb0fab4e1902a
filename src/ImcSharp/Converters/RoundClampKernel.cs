using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// The ideal ADC's conversion in one pass over dense float32 sums in place:
///   code = min(max(floor(x + 0.5), lo), hi)   (x in LSBs, round half up, clipped to the code range),
/// the same IEEE float32 operations, in the same order, as torch's add_(0.5), floor_() and
/// clamp_(lo, hi), which take three passes; so it gives the same codes bit for bit
/// (<c>Converters/IdealAdcTests</c>, <c>Nn/ComputeTargetTests</c>). See <see cref="DenseKernel"/>.
/// </summary>
internal static unsafe class RoundClampKernel
{
    public static Tensor ConvertInPlace(Tensor x, float lo, float hi)
    {
        float* data = DenseKernel.Data(x);
        DenseKernel.For(x.numel(), (start, n) => Run(data + start, n, lo, hi));
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run(float* x, int n, float lo, float hi)
    {
        var half = Vector256.Create(0.5f);
        var low = Vector256.Create(lo);
        var high = Vector256.Create(hi);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Floor(Vector256.Load(x + i) + half);
            Vector256.Min(Vector256.Max(v, low), high).Store(x + i);
        }
        for (; i < n; i++) x[i] = MathF.Min(MathF.Max(MathF.Floor(x[i] + 0.5f), lo), hi);
    }
}
