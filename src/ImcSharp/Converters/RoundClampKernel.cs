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
        var low = Vector256.Create(lo);
        var high = Vector256.Create(hi);
        int i = 0;
        for (; i + 8 <= n; i += 8) Code(Vector256.Load(x + i), low, high).Store(x + i);
        for (; i < n; i++) x[i] = Code(x[i], lo, hi);
    }

    /// <summary>
    /// The codes of eight sums (the conversion's vector form; other kernels that convert as they read use it too).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Code(Vector256<float> x, Vector256<float> low, Vector256<float> high) =>
        Vector256.Min(Vector256.Max(Vector256.Floor(x + Vector256.Create(0.5f)), low), high);

    /// <summary>The code of one sum (the conversion's scalar form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Code(float x, float lo, float hi) => MathF.Min(MathF.Max(MathF.Floor(x + 0.5f), lo), hi);
}
